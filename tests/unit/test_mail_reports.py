"""Delivery reports: recognised (RFC 3464 or mailer-daemon style), with the bounced original's Message-ID."""

from gmail_tickets.mail.parse import parse

ORIGINAL_HEADERS = (
    b"From: support@example.com\r\nTo: gone@customer.example\r\nSubject: Re: [#123] Your request\r\n"
    b"Message-ID: <ticket-123.abcdef@example.com>\r\n"
)


def _report(report_type: bytes, original_type: bytes, original: bytes) -> bytes:
    return (
        b"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\nTo: support@example.com\r\n"
        b"Subject: Delivery Status Notification (Failure)\r\nMessage-ID: <bounce-1@mx.google.com>\r\n"
        b"Content-Type: multipart/report; report-type=" + report_type + b"; boundary=r\r\n\r\n"
        b"--r\r\nContent-Type: text/plain\r\n\r\nYour message wasn't delivered to gone@customer.example.\r\n"
        b"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.google.com\r\n\r\n"
        b"Final-Recipient: rfc822; gone@customer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        b"--r\r\nContent-Type: " + original_type + b"\r\n\r\n" + original + b"\r\n--r--\r\n"
    )


def test_rfc3464_report_with_the_original_mail() -> None:
    mail = parse(_report(b"delivery-status", b"message/rfc822", ORIGINAL_HEADERS + b"\r\nHello\r\n"))
    assert mail.content_type == "multipart/report"
    assert mail.is_delivery_report is True
    assert mail.original_message_id == "ticket-123.abcdef@example.com"
    assert mail.message_id == "bounce-1@mx.google.com"
    assert [a.content_type for a in mail.attachments] == ["message/delivery-status", "message/rfc822"]
    assert b"Status: 5.1.1" in mail.attachments[0].data


def test_rfc3464_report_with_only_the_original_headers() -> None:
    mail = parse(_report(b'"delivery-status"', b"text/rfc822-headers", ORIGINAL_HEADERS))
    assert mail.is_delivery_report is True
    assert mail.original_message_id == "ticket-123.abcdef@example.com"
    assert mail.attachments[1].filename == "original-headers.txt"


def test_read_receipt_is_a_report_but_not_a_delivery_report() -> None:
    raw = (
        b"From: b@x.example\r\nSubject: Read: hello\r\nContent-Type: multipart/report; "
        b"report-type=disposition-notification; boundary=r\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nread\r\n"
        b"--r\r\nContent-Type: message/disposition-notification\r\n\r\nDisposition: manual-action/MDN-sent-manually; "
        b"displayed\r\n\r\n--r--\r\n"
    )
    mail = parse(raw)
    assert mail.content_type == "multipart/report"
    assert mail.is_delivery_report is False
    assert mail.original_message_id is None


def test_mailer_daemon_plain_text_bounce() -> None:
    raw = (
        b"From: MAILER-DAEMON@mail.customer.example\r\nTo: support@example.com\r\nSubject: failure notice\r\n"
        b"Message-ID: <qmail-1@mail.customer.example>\r\n\r\n"
        b"Hi. This is the qmail-send program at mail.customer.example.\r\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n"
        b"--- Below this line is a copy of the message.\r\n\r\n" + ORIGINAL_HEADERS + b"\r\nHello\r\n"
    )
    mail = parse(raw)
    assert mail.is_delivery_report is True
    assert mail.original_message_id == "ticket-123.abcdef@example.com"


def test_null_return_path_bounce() -> None:
    raw = b"Return-Path: <>\r\nFrom: Exchange <exch@corp.example>\r\nSubject: Undeliverable: Re: [#123]\r\n\r\nSorry"
    assert parse(raw).is_delivery_report is True


def test_ordinary_mail_mentioning_delivery_is_not_a_bounce() -> None:
    raw = b"From: a@x.example\r\nSubject: Delivery failed for my parcel\r\n\r\nMy parcel never came."
    mail = parse(raw)
    assert mail.is_delivery_report is False
    assert mail.content_type == "text/plain"
