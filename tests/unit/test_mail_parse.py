"""The InboundEmail interface: the fields ingestion needs, on the sample mail; only non-mail raises."""

from pathlib import Path

import pytest

from gmail_tickets.mail.parse import UNKNOWN_SENDER, AttachmentInfo, InboundEmail, ParseFailure, new_part, parse

SAMPLES = Path(__file__).parents[2] / "devstack" / "sample_mail"


def test_plain_mail_fields() -> None:
    mail = parse((SAMPLES / "02-reply-in-thread.eml").read_bytes())
    assert mail.from_address == "alice@customer.example"
    assert mail.from_name == "Alice Martin"
    assert mail.subject == "Re: Can't log in to my account"
    assert mail.message_id == "CAF=alice-002@mail.customer.example"
    assert mail.in_reply_to == "CAF=alice-001@mail.customer.example"
    assert mail.references == ["CAF=alice-001@mail.customer.example"]
    assert mail.date is not None and mail.date.utcoffset() is not None
    assert "mobile app" in mail.text_body


def test_html_only_mail_gets_text() -> None:
    mail = parse((SAMPLES / "03-html-only.eml").read_bytes())
    assert "reverse charge" in mail.text_body
    assert "<p>" not in mail.text_body and "color:#333" not in mail.text_body
    assert "€1,240.00" in mail.text_body


def test_latin1_mail_decodes() -> None:
    mail = parse((SAMPLES / "05-latin1.eml").read_bytes())
    assert mail.subject == "Rückfrage zur Lieferung"
    assert mail.from_name == "Jürgen Müller"
    assert "Können Sie bitte prüfen" in mail.text_body


def test_attachments_and_cc() -> None:
    attached = parse((SAMPLES / "04-attachment.eml").read_bytes())
    assert [(a.filename, a.content_type) for a in attached.attachments] == [("error.png", "image/png")]
    assert attached.attachments[0].size > 0
    assert parse((SAMPLES / "06-with-cc.eml").read_bytes()).cc == ["eli@agency.example", "support@example.com"]


def test_the_from_mailbox_is_the_requester_and_reply_to_is_only_kept() -> None:
    mail = parse(b"From: a@x.example\r\nReply-To: Help <b@y.example>\r\nSubject: s\r\n\r\nbody")
    assert mail.requester == "a@x.example" and mail.reply_to == "b@y.example"


def test_missing_message_id_is_derived_stably() -> None:
    raw = b"From: a@x.example\r\nSubject: no id\r\n\r\nbody"
    assert parse(raw).message_id == parse(raw).message_id
    assert parse(raw).message_id != parse(raw + b"!").message_id


def test_odd_headers_do_not_sink_the_mail() -> None:
    raw = (
        b"From: =?utf-8?q?broken\r\nTo: a@x.example,, ,\r\nCc: b@x.example,\r\n"
        b"Message-ID: <0000000000000001@EXCH01.corp.example>\r\nDate: yesterday\r\n"
        b"Content-Type: text/plain; charset=x-unknown\r\n\r\nhello \xe9"
    )
    mail = parse(raw)
    assert mail.to == ["a@x.example"] and mail.cc == ["b@x.example"]
    assert mail.message_id == "0000000000000001@EXCH01.corp.example"
    assert mail.date is None
    assert mail.subject == "(no subject)"
    assert mail.text_body.startswith("hello")


def test_empty_input_is_a_parse_failure() -> None:
    with pytest.raises(ParseFailure):
        parse(b"   \r\n")


@pytest.mark.parametrize(
    "raw",
    [b"", b"\r\n\r\n", b"\x89PNG\r\n\x1a\n\x00\x00", b"just a line of text\nand another", b"From nobody\n"],
    ids=["empty", "blank", "binary", "no-headers", "mbox-line-only"],
)
def test_bytes_that_are_not_a_mail_raise_parse_failure(raw: bytes) -> None:
    with pytest.raises(ParseFailure):
        parse(raw)


def test_new_fields_on_a_plain_mail() -> None:
    mail = parse((SAMPLES / "01-new-request.eml").read_bytes())
    assert isinstance(mail, InboundEmail)
    assert mail.content_type == "text/plain"
    assert mail.html_body is None
    assert mail.is_delivery_report is False and mail.original_message_id is None
    assert mail.problems == []
    assert mail.attachments == []


def test_alternative_mail_has_text_and_sanitized_html() -> None:
    mail = parse((SAMPLES / "06-with-cc.eml").read_bytes())
    assert mail.content_type == "multipart/alternative"
    assert mail.text_body == "Hi! Please give Eli (in Cc) admin access to our workspace."
    assert mail.html_body == "<p>Hi! Please give <b>Eli</b> (in Cc) admin access to our workspace.</p>"


def test_attachment_info_carries_data() -> None:
    attachment = parse((SAMPLES / "04-attachment.eml").read_bytes()).attachments[0]
    assert isinstance(attachment, AttachmentInfo)
    assert attachment.data.startswith(b"\x89PNG") and attachment.size == len(attachment.data)
    assert attachment.content_id is None and attachment.inline is False


def test_requester_and_new_part_are_exported() -> None:
    assert parse(b"Subject: who?\r\n\r\nbody").requester == UNKNOWN_SENDER
    assert new_part("new\n\n> old") == "new"
