"""Lanes of a sync's mail (services/mail_lanes.py): mail whose decisions read one another's records shares a lane,
in Gmail's order; the rest may be recorded at the same time."""

from __future__ import annotations

from datetime import UTC, datetime

from gmail_tickets.ports import MessageMeta, RawMessage
from gmail_tickets.services.mail_lanes import steps

T0 = datetime(2026, 12, 6, tzinfo=UTC)


def raw(gmail_id: str, sender: str, *, thread: str | None = None, message_id: str | None = None,
        references: str = "", extra: tuple[str, ...] = ()) -> RawMessage:
    headers = [f"From: Someone <{sender}>", "To: support@example.com", "Subject: help", *extra]
    if message_id is not None:
        headers.append(f"Message-ID: <{message_id}>")
    if references:
        headers += [f"In-Reply-To: {references.split()[-1]}", f"References: {references}"]
    body = ("\r\n".join(headers) + "\r\n\r\nhello\r\n").encode()
    return RawMessage(gmail_id, thread or gmail_id, ("INBOX", "UNREAD"), len(body), 1, T0, body)


def split(*messages: RawMessage, metas: dict[str, MessageMeta | None] | None = None) -> list[list[str]]:
    """The lanes, when the mails make one step."""
    [step] = in_steps(*messages, metas=metas)
    return step


def in_steps(*messages: RawMessage, metas: dict[str, MessageMeta | None] | None = None) -> list[list[list[str]]]:
    ids = [m.id for m in messages] + list(metas or {})
    return steps(ids, {m.id: m for m in messages}, metas or {}, lambda i: i.endswith("@ours.test"))


def test_unrelated_mail_goes_in_lanes_of_its_own() -> None:
    assert split(raw("a", "x@one.test", message_id="a@x"), raw("b", "y@two.test", message_id="b@y"),
                 raw("c", "z@three.test", message_id="c@z")) == [["a"], ["b"], ["c"]]


def test_one_gmail_thread_is_one_lane_in_order() -> None:
    assert split(raw("a", "x@one.test", message_id="a@x"), raw("b", "y@two.test", message_id="b@y"),
                 raw("c", "z@three.test", thread="a", message_id="c@z")) == [["a", "c"], ["b"]]


def test_a_reply_in_another_gmail_thread_follows_the_mail_it_names() -> None:
    first = raw("a", "x@one.test", message_id="a@x")
    other = raw("b", "y@two.test", message_id="b@y")
    reply = raw("c", "z@three.test", message_id="c@z", references="<q@elsewhere> <a@x>")
    assert split(first, other, reply) == [["a", "c"], ["b"]]


def test_one_organization_is_one_lane_for_its_burst_count() -> None:
    assert split(raw("a", "ann@mail.shop.co.uk", message_id="a@x"), raw("b", "y@two.test", message_id="b@y"),
                 raw("c", "bob@shop.co.uk", message_id="c@z")) == [["a", "c"], ["b"]]


def test_the_same_message_id_twice_is_one_lane() -> None:
    assert split(raw("a", "x@one.test", message_id="same@x"), raw("b", "y@two.test", message_id="same@x")) == [
        ["a", "b"]]


def test_mail_naming_our_own_or_looking_automatic_waits_for_all_before_it() -> None:
    a, b = raw("a", "x@one.test", message_id="a@x"), raw("b", "y@two.test", message_id="b@y")
    c, d = raw("c", "z@three.test", message_id="c@z"), raw("d", "w@four.test", message_id="d@w")
    to_our_ack = raw("r", "v@five.test", message_id="r@v", references="<ack-1@ours.test>")
    assert in_steps(a, b, to_our_ack, c, d) == [[["a"], ["b"]], [["r"]], [["c"], ["d"]]]
    for automatic in (raw("m", "mailer-daemon@six.test", message_id="m@m"),
                      raw("m", "v@six.test", message_id="m@m", extra=("Return-Path: <>",)),
                      raw("m", "v@six.test", message_id="m@m", extra=("Auto-Submitted: auto-replied",)),
                      raw("m", "v@six.test", message_id="m@m", extra=("Content-Type: multipart/report",))):
        assert in_steps(a, automatic, c) == [[["a"]], [["m"]], [["c"]]]


def test_mail_too_big_to_fetch_waits_for_all_before_it_and_gone_mail_is_alone() -> None:
    meta = MessageMeta("m", "m", ("INBOX",), 10**8, 1, T0, {"from": "Ann <ann@one.test>", "message-id": "<m@x>"})
    assert in_steps(raw("a", "x@one.test", message_id="a@x"), metas={"m": meta, "gone": None}) == [
        [["a"]], [["m"]], [["gone"]]]
