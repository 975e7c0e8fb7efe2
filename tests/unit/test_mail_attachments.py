"""Attachments: decoded bytes, safe names (RFC 2231 / RFC 2047 / raw UTF-8 / none), Content-ID, inline, .eml, TNEF."""

import base64

from gmail_tickets.mail.inbound import AttachmentInfo
from gmail_tickets.mail.parse import parse


def _with_parts(*parts: bytes) -> bytes:
    head = b"From: a@x.example\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
    body = b"--zz\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
    return head + body + b"".join(b"--zz\r\n" + p + b"\r\n" for p in parts) + b"--zz--\r\n"


def _file(headers: bytes, data: bytes = b"%PDF-1.4") -> bytes:
    return headers + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(data)


def test_rfc2231_filename() -> None:
    disposition = b"Content-Disposition: attachment; filename*=utf-8''%E2%82%AC%20Rechnung%20M%C3%A4rz.pdf"
    mail = parse(_with_parts(_file(b"Content-Type: application/pdf\r\n" + disposition)))
    assert mail.attachments[0].filename == "€ Rechnung März.pdf"


def test_rfc2231_continuations_with_a_mislabelled_charset() -> None:
    disposition = b"Content-Disposition: attachment; filename*0*=gb2312''%D6%D0%CE%C4; filename*1=.pdf"
    mail = parse(_with_parts(_file(b"Content-Type: application/pdf\r\n" + disposition)))
    assert mail.attachments[0].filename == "中文.pdf"


def test_rfc2047_encoded_filename() -> None:
    name = base64.b64encode("Überweisung.pdf".encode())
    mail = parse(_with_parts(_file(b'Content-Type: application/pdf; name="=?UTF-8?B?' + name + b'?="\r\n'
                                   b"Content-Disposition: attachment")))
    assert mail.attachments[0].filename == "Überweisung.pdf"


def test_raw_utf8_filename_and_path_components() -> None:
    mail = parse(_with_parts(_file('Content-Disposition: attachment; filename="C:\\Users\\jö\\résumé.pdf"'.encode())))
    assert mail.attachments[0].filename == "résumé.pdf"


def test_part_without_filename_is_named_from_its_type() -> None:
    mail = parse(_with_parts(
        _file(b"Content-Type: image/png", b"\x89PNG"),
        _file(b"Content-Type: image/png", b"\x89PNG"),
        _file(b"Content-Type: application/pdf"),
        _file(b"Content-Type: text/calendar; method=REQUEST", b"BEGIN:VCALENDAR"),
        _file(b"Content-Type: application/x-made-up", b"??"),
    ))
    assert [a.filename for a in mail.attachments] == [
        "image.png", "image-2.png", "attachment.pdf", "invite.ics", "attachment.bin",
    ]


def test_sizes_bytes_and_content_ids() -> None:
    mail = parse(_with_parts(_file(b"Content-Type: image/jpeg; name=photo.jpg\r\nContent-ID:  < photo@x.example >",
                                   b"\xff\xd8\xff")))
    photo = mail.attachments[0]
    assert (photo.filename, photo.content_type, photo.size) == ("photo.jpg", "image/jpeg", 3)
    assert photo.data == b"\xff\xd8\xff"
    assert photo.content_id == "photo@x.example"
    assert photo.inline is False


def test_inline_by_disposition_or_by_cid_reference() -> None:
    head = b"From: a@x.example\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
    raw = (
        head + b'--r\r\nContent-Type: text/html\r\n\r\n<img src="cid:a%40x">\r\n'
        + b"--r\r\n" + _file(b"Content-Type: image/gif\r\nContent-ID: <a@x>", b"GIF89a") + b"\r\n"
        + b"--r\r\n" + _file(b"Content-Type: image/gif\r\nContent-Disposition: inline", b"GIF89a") + b"\r\n"
        + b"--r\r\n" + _file(b"Content-Type: image/gif\r\nContent-ID: <unused@x>", b"GIF89a") + b"\r\n--r--\r\n"
    )
    assert [a.inline for a in parse(raw).attachments] == [True, True, False]


def test_data_is_left_out_of_repr_and_equality() -> None:
    one = AttachmentInfo("a.bin", "application/octet-stream", 3, data=b"abc")
    other = AttachmentInfo("a.bin", "application/octet-stream", 3, data=b"xyz")
    assert one == other
    assert "abc" not in repr(one)


def test_forwarded_mail_becomes_an_eml_named_from_its_subject() -> None:
    inner = (
        b"From: b@y.example\r\nSubject: Order #42: where is it?\r\nMessage-ID: <inner@y>\r\n\r\n"
        b"Where is my order?\r\n"
    )
    mail = parse(_with_parts(b"Content-Type: message/rfc822\r\n\r\n" + inner))
    forwarded = mail.attachments[0]
    assert forwarded.filename == "Order #42_ where is it_.eml"
    assert forwarded.content_type == "message/rfc822"
    assert forwarded.size == len(forwarded.data)
    assert b"Subject: Order #42: where is it?" in forwarded.data and b"Where is my order?" in forwarded.data
    assert mail.text_body == "see attached"  # the forwarded text stays in the attachment


def test_forwarded_mail_without_subject() -> None:
    mail = parse(_with_parts(b"Content-Type: message/rfc822\r\n\r\nFrom: b@y.example\r\n\r\nhi\r\n"))
    assert mail.attachments[0].filename == "forwarded message.eml"


def test_winmail_dat_is_kept_and_noted() -> None:
    tnef = b"\x78\x9f\x3e\x22" + b"\x00" * 20
    mail = parse(_with_parts(_file(b"Content-Type: application/ms-tnef; name=winmail.dat", tnef)))
    found = [(a.filename, a.content_type, a.data) for a in mail.attachments]
    assert found == [("winmail.dat", "application/ms-tnef", tnef)]
    assert "winmail.dat (TNEF) in part 2 kept as an attachment, not unpacked" in mail.problems


def test_text_part_marked_as_attachment_is_not_body() -> None:
    log = b"Content-Type: text/plain\r\nContent-Disposition: attachment; filename=log.txt\r\n\r\nlog"
    mail = parse(_with_parts(log))
    assert mail.text_body == "see attached"
    assert [(a.filename, a.data) for a in mail.attachments] == [("log.txt", b"log")]


def test_filenames_lose_paths_and_bidi_overrides() -> None:
    mail = parse(_with_parts(
        _file(b'Content-Type: application/pdf; name="../../etc/passwd"'),
        _file('Content-Type: application/pdf; name="invoice\u202efdp.exe"'.encode()),
    ))
    assert [a.filename for a in mail.attachments] == ["passwd", "invoicefdp.exe"]
