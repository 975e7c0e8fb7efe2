"""Outbound mail: the bytes thread for the customer, parse back with our own parser, and refuse header injection."""

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest

from gmail_tickets.domain.model import OutboundMail, OutgoingAttachment
from gmail_tickets.domain.ticket_token import TicketTokens, tag_subject
from gmail_tickets.mail.outbound import (
    MAX_RECIPIENTS,
    build_message,
    gmail_thread_safe_subject,
    has_physical_attachments,
)
from gmail_tickets.mail.parse import parse

WHEN = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)
TOKENS = TicketTokens(b"k" * 32)
CUSTOMER_ID = "CAF=alice-001@mail.customer.example"

BASE = OutboundMail(
    from_address="support@acme.example",
    from_name="Acme Support",
    to=("alice@customer.example",),
    subject="Re: Can't log in [#123]",
    text="Hello Alice,\nwe are on it.\n",
    message_id=TOKENS.message_id(123, nonce="n1"),
    in_reply_to=CUSTOMER_ID,
)


def _headers(raw: bytes) -> dict[str, list[str]]:
    """Every header's raw (unfolded) values by lower-cased name: what a client sees on the wire."""
    msg = message_from_bytes(raw, policy=policy.compat32)
    found: dict[str, list[str]] = {}
    for name, value in msg.items():
        found.setdefault(name.lower(), []).append(re.sub(r"\r?\n[ \t]", " ", str(value)))
    return found


def _build(**changes: object) -> bytes:
    return build_message(replace(BASE, **changes), date=WHEN)


# --- headers ----------------------------------------------------------------------------------------------------


def test_headers_present_and_correct() -> None:
    raw = _build(cc=("bob@customer.example",), reply_to="replies@acme.example")
    headers = _headers(raw)
    assert headers["from"] == ["Acme Support <support@acme.example>"]
    assert headers["to"] == ["alice@customer.example"]
    assert headers["cc"] == ["bob@customer.example"]
    assert headers["reply-to"] == ["replies@acme.example"]
    assert headers["subject"] == ["Re: Can't log in [#123]"]
    assert headers["date"] == ["Sat, 28 Nov 2026 16:00:00 +0000"]
    assert headers["message-id"] == [f"<{BASE.message_id}>"]
    assert headers["mime-version"] == ["1.0"]
    assert "bcc" not in headers


def test_optional_headers_absent_when_not_given() -> None:
    headers = _headers(_build(in_reply_to=None))
    for name in ("cc", "reply-to", "in-reply-to", "references", "bcc"):
        assert name not in headers


def test_date_keeps_its_zone_and_naive_dates_are_refused() -> None:
    cet = timezone(timedelta(hours=1))
    raw = build_message(BASE, date=WHEN.astimezone(cet))
    assert _headers(raw)["date"] == ["Sat, 28 Nov 2026 17:00:00 +0100"]
    with pytest.raises(ValueError, match="timezone-aware"):
        build_message(BASE, date=datetime(2026, 11, 28, 16, 0))


def test_threading_headers_chain_then_parent_deduplicated_in_order() -> None:
    raw = _build(references=("root@x.example", "mid@x.example", "ROOT@x.example", "<mid@x.example>"))
    headers = _headers(raw)
    assert headers["in-reply-to"] == [f"<{CUSTOMER_ID}>"]
    assert headers["references"] == [f"<root@x.example> <mid@x.example> <{CUSTOMER_ID}>"]


def test_parent_already_in_the_chain_is_not_repeated() -> None:
    headers = _headers(_build(references=(CUSTOMER_ID, "later@x.example")))
    assert headers["references"] == [f"<{CUSTOMER_ID}> <later@x.example>"]


def test_long_message_ids_fold_between_ids_and_are_never_encoded() -> None:
    exchange = "DB9PR01MB7353" + "A1B2C3D4" * 12 + "@DB9PR01MB7353.eurprd01.prod.exchangelabs.com"
    raw = _build(references=("a@x.example", exchange, "b@x.example"))
    assert b"=?" not in raw
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert parse(raw).references == ["a@x.example", exchange, "b@x.example", CUSTOMER_ID]


@pytest.mark.parametrize("automatic", [True, False])
def test_automatic_headers_only_on_automatic_mail(automatic: bool) -> None:
    headers = _headers(_build(automatic=automatic))
    if automatic:
        assert headers["auto-submitted"] == ["auto-replied"]
        assert headers["x-auto-response-suppress"] == ["All"]
    else:
        assert "auto-submitted" not in headers
        assert "x-auto-response-suppress" not in headers


def test_every_line_ends_with_crlf() -> None:
    raw = _build(html="<p>Hi</p>", attachments=(OutgoingAttachment("a.txt", "text/plain", b"one\ntwo\n"),))
    assert b"\n" in raw
    assert re.search(rb"(?<!\r)\n", raw) is None
    assert re.search(rb"\r(?!\n)", raw) is None


def test_bodies_are_seven_bit_for_relays_without_8bitmime() -> None:
    raw = _build(from_name="Zoë", subject="Grüße", text="Grüße 日本", html="<p>Grüße</p>")
    assert raw.isascii()


# --- round trip through our own parser ---------------------------------------------------------------------------


def test_round_trip_through_the_inbound_parser() -> None:
    pdf = b"%PDF-1.7\x00\xff\xfe binary"
    raw = _build(
        cc=("bob@customer.example",),
        reply_to="replies@acme.example",
        references=("root@x.example",),
        html='<p>Hello <b>Alice</b><script>alert(1)</script></p><a href="javascript:x()">x</a>',
        attachments=(
            OutgoingAttachment("invoice.pdf", "application/pdf", pdf),
            OutgoingAttachment("notes.txt", "text/plain", b"line 1\nline 2\n"),
        ),
    )
    mail = parse(raw)
    assert mail.problems == []
    assert mail.subject == BASE.subject
    assert (mail.from_name, mail.from_address) == ("Acme Support", "support@acme.example")
    assert mail.to == ["alice@customer.example"]
    assert mail.cc == ["bob@customer.example"]
    assert mail.reply_to == "replies@acme.example"
    assert mail.date == WHEN
    assert mail.message_id == BASE.message_id
    assert mail.in_reply_to == CUSTOMER_ID
    assert mail.references == ["root@x.example", CUSTOMER_ID]
    assert mail.text_body.strip() == BASE.text.strip()
    assert mail.html_body is not None
    assert "<b>Alice</b>" in mail.html_body
    assert "script" not in mail.html_body and "javascript" not in mail.html_body
    found = {a.filename: a for a in mail.attachments}
    assert set(found) == {"invoice.pdf", "notes.txt"}
    assert found["invoice.pdf"].content_type == "application/pdf"
    assert found["invoice.pdf"].data == pdf
    assert found["invoice.pdf"].size == len(pdf)
    assert found["notes.txt"].data == b"line 1\nline 2\n"
    assert mail.content_type == "multipart/mixed"


def test_text_only_mail_is_a_single_text_part() -> None:
    mail = parse(_build())
    assert mail.content_type == "text/plain"
    assert mail.html_body is None
    assert mail.attachments == []


def test_html_without_attachments_is_multipart_alternative() -> None:
    mail = parse(_build(html="<p>Hi</p>"))
    assert mail.content_type == "multipart/alternative"
    assert mail.text_body.strip() == BASE.text.strip()
    assert mail.html_body is not None and "Hi" in mail.html_body


def test_non_ascii_name_subject_body_and_filename_round_trip() -> None:
    name = 'Zoë Ørsted, 客服 "Team"'
    subject = tag_subject("Ünïcödé — ça marche? 日本語の件名 " + "lang " * 20, 123)
    text = "Grüße aus Köln 🎉\nПривет\n"
    raw = _build(
        from_name=name,
        subject=subject,
        text=text,
        html="<p>Grüße 🎉</p>",
        attachments=(OutgoingAttachment("résumé 日本.pdf", "application/pdf", b"%PDF"),),
    )
    assert _headers(raw)["from"][0].endswith("<support@acme.example>")
    mail = parse(raw)
    assert mail.from_name == name
    assert mail.subject == subject
    assert mail.text_body.strip() == text.strip()
    assert mail.html_body is not None and "Grüße 🎉" in mail.html_body
    assert [a.filename for a in mail.attachments] == ["résumé 日本.pdf"]
    assert mail.problems == []


def test_internationalised_domain_is_sent_in_idna_form() -> None:
    mail = parse(_build(to=("kunde@bücher.example",)))
    assert mail.to == ["kunde@xn--bcher-kva.example"]


def test_odd_attachment_types_go_out_as_octet_stream() -> None:
    raw = _build(
        attachments=(
            OutgoingAttachment("x.bin", "not a type", b"\x01"),
            OutgoingAttachment("fwd.eml", "message/rfc822", b"Subject: x\r\n\r\nhi"),
        )
    )
    mail = parse(raw)
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("x.bin", "application/octet-stream"),
        ("fwd.eml", "application/octet-stream"),
    ]
    assert mail.attachments[1].data == b"Subject: x\r\n\r\nhi"


def test_signed_message_id_verifies_after_parsing_back() -> None:
    message_id = TOKENS.message_id(4711)
    mail = parse(_build(message_id=message_id))
    assert TOKENS.ticket_from_message_id(mail.message_id) == 4711
    assert TicketTokens(b"x" * 32).ticket_from_message_id(mail.message_id) is None


def test_message_ids_given_in_brackets_are_not_double_bracketed() -> None:
    headers = _headers(_build(message_id=f"<{BASE.message_id}>", in_reply_to=f" <{CUSTOMER_ID}> "))
    assert headers["message-id"] == [f"<{BASE.message_id}>"]
    assert headers["in-reply-to"] == [f"<{CUSTOMER_ID}>"]


# --- refusals ----------------------------------------------------------------------------------------------------


def test_no_recipients_is_refused() -> None:
    with pytest.raises(ValueError, match="no recipients"):
        _build(to=(), cc=())


def test_cc_only_is_enough() -> None:
    assert parse(_build(to=(), cc=("bob@customer.example",))).cc == ["bob@customer.example"]


def test_recipient_limit() -> None:
    hundred = tuple(f"r{i}@customer.example" for i in range(MAX_RECIPIENTS))
    assert len(parse(_build(to=hundred[:60], cc=hundred[60:])).cc) == 40
    with pytest.raises(ValueError, match="101 recipients"):
        _build(to=hundred[:60], cc=(*hundred[60:], "one.more@customer.example"))


@pytest.mark.parametrize(
    "changes",
    [
        {"from_address": "support@acme.example\r\nBcc: victim@evil.example"},
        {"to": ("alice@customer.example\nBcc: victim@evil.example",)},
        {"cc": ("bob@customer.example\r\n",)},
        {"reply_to": "r@acme.example\nX: y"},
        {"message_id": "id@acme.example\r\nX: y"},
        {"in_reply_to": "id@x.example\nX: y"},
        {"references": ("id@x.example\r\nX: y",)},
        {"attachments": (OutgoingAttachment("a.txt\r\nX: y", "text/plain", b""),)},
        {"attachments": (OutgoingAttachment("a.txt", "text/plain\r\nX: y", b""),)},
    ],
)
def test_header_injection_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="header injection"):
        _build(**changes)


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": "Hi\r\nBcc: victim@evil.example"},
        {"subject": "Hi\nBcc: victim@evil.example"},
        {"subject": "Hi\rBcc: victim@evil.example"},
        {"subject": "Hi\u2028Bcc: victim@evil.example"},
        {"subject": "Hi\x00\x85Bcc: victim@evil.example"},
        {"from_name": "Support\r\nBcc: victim@evil.example"},
        {"from_name": "Support\x00\nBcc: victim@evil.example"},
    ],
)
def test_control_characters_in_subjects_and_names_are_removed_not_fatal(changes: dict[str, object]) -> None:
    """Subjects and names come from customers' mail: a NUL or line break in one must not make every mail on the
    ticket fail, and must not become a header either."""
    msg = message_from_bytes(_build(**changes), policy=policy.default)
    assert "Bcc" not in msg
    assert "victim@evil.example" in (str(msg["Subject"]) + str(msg["From"]))
    assert not any(ord(c) < 0x20 or c in "\x85\u2028" for c in str(msg["Subject"]) + str(msg["From"]))


@pytest.mark.parametrize(
    "changes",
    [
        {"to": ("alice.customer.example",)},
        {"to": ("@customer.example",)},
        {"to": ("alice@",)},
        {"cc": ("bob customer@example",)},
        {"to": ("Alice <alice@customer.example>",)},
        {"to": ("a@b.example, c@d.example",)},
        {"to": ("zo\u00eb @customer.example",)},
        {"from_address": "support"},
        {"reply_to": "replies"},
    ],
)
def test_bad_addresses_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="address"):
        _build(**changes)


@pytest.mark.parametrize("bad", ["no-at-sign", "a b@x.example", "<a@x.example", "a@x.example>", ""])
def test_bad_message_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="message id"):
        _build(message_id=bad)


# --- helpers ------------------------------------------------------------------------------------------------------


def test_has_physical_attachments() -> None:
    assert not has_physical_attachments(BASE)
    assert has_physical_attachments(replace(BASE, attachments=(OutgoingAttachment("a", "text/plain", b""),)))


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("Can't log in", "Re: Can't log in"),
        ("Re: Can't log in", "Re: Can't log in"),
        ("RE: Can't log in", "RE: Can't log in"),
        ("re:x", "re:x"),
        ("Aw: Anfrage", "Aw: Anfrage"),
        ("AW: Anfrage", "AW: Anfrage"),
        ("Sv: Fråga", "Sv: Fråga"),
        ("Antw: vraag", "Antw: vraag"),
        ("Re[2]: again", "Re[2]: again"),
        ("Re : spaced", "Re : spaced"),
        ("回复：问题", "回复：问题"),
        ("Fwd: forwarded", "Re: Fwd: forwarded"),
        ("Regarding the invoice", "Re: Regarding the invoice"),
        ("Reply needed", "Re: Reply needed"),
        ("  padded  ", "Re: padded"),
        ("", "Re:"),
    ],
)
def test_gmail_thread_safe_subject(original: str, expected: str) -> None:
    assert gmail_thread_safe_subject(original) == expected
