"""The From mailbox, read strictly: the address in angle brackets, never one made from a display name."""

import base64

import pytest

from gmail_tickets.mail.parse import UNKNOWN_SENDER, parse
from gmail_tickets.mail.sender import Mailbox, single_mailbox


@pytest.mark.parametrize(("raw", "address"), [
    ("ann@x.example", "ann@x.example"),
    ("Ann <Ann@X.Example>", "ann@x.example"),
    ('"Ann, Jr." <ann@x.example>', "ann@x.example"),
    ("victim@x.example <attacker@evil.example>", "attacker@evil.example"),
    ('"victim@x.example" <attacker@evil.example>', "attacker@evil.example"),
    ("Ann <ann@x.example> (Sales <c@d.example>)", "ann@x.example"),
    ("ann@x.example (Ann <other@y.example>)", "ann@x.example"),
    ("=?utf-8?q?Ann=40x?= <ann@x.example>", "ann@x.example"),
    ('"a b"@x.example', '"a b"@x.example'),
    ("<@relay.example:ann@x.example>", "ann@x.example"),
    ("group: ann@x.example;", "ann@x.example"),
    ("Jörg <jörg@bücher.example>", "jörg@bücher.example"),
])
def test_one_mailbox_gives_its_address(raw: str, address: str) -> None:
    assert single_mailbox(raw) == Mailbox(address)


@pytest.mark.parametrize(("raw", "problem"), [
    ("", "no address"),
    ("undisclosed-recipients:;", "no address"),
    ("Support Team", "no valid address"),
    ("a@x.example, b@y.example", "2 mailboxes"),
    ("<a@x.example> <b@y.example>", "more than one <address>"),
    ("=?utf-8?q?mallory=40evil.example?=", "no valid address"),
    ("=?utf-8?q?mallory=40evil.example?= =?utf-8?q?=0D=0A?=", "no valid address"),
    ("=?utf-8?q?=3Cmallory=40evil.example=3E?=", "no valid address"),
    ("=?utf-8?b?" + base64.b64encode(b"x\r\n<mallory@evil.example>").decode() + "?=", "no valid address"),
    ("Ann <ann@x.example", "unbalanced quotes, comments or angle brackets"),
    ('"Ann <ann@x.example>', "unbalanced quotes, comments or angle brackets"),
    ("<>", "no valid address"),
    ("a@b@c.example", "no valid address"),
    ("x" * 5000 + "@x.example", "too long to be one mailbox"),
])
def test_anything_but_one_valid_mailbox_is_no_address_with_the_reason(raw: str, problem: str) -> None:
    assert single_mailbox(raw) == Mailbox(None, problem)


def test_an_ambiguous_from_is_an_unknown_sender_noted_and_shown_only_as_a_name() -> None:
    mail = parse(b"From: a@x.example, b@y.example\r\nTo: s@e.example\r\nSubject: s\r\n\r\nbody")
    assert (mail.from_address, mail.requester) == ("", UNKNOWN_SENDER)
    assert mail.from_name == "a@x.example, b@y.example"
    assert "header from: 2 mailboxes; sender unknown" in mail.problems


def test_an_address_like_display_name_loses_to_the_angle_address_and_reply_to_is_only_kept() -> None:
    mail = parse(b"From: cara@customer.example <mallory@evil.example>\r\nReply-To: cara@customer.example\r\n"
                 b"Subject: s\r\n\r\nbody")
    assert (mail.from_address, mail.requester, mail.reply_to) == (
        "mallory@evil.example", "mallory@evil.example", "cara@customer.example")


def test_a_reply_to_with_two_mailboxes_is_not_kept() -> None:
    mail = parse(b"From: a@x.example\r\nReply-To: b@x.example, c@y.example\r\nSubject: s\r\n\r\nbody")
    assert mail.reply_to is None and "header reply-to: 2 mailboxes; ignored" in mail.problems
