"""Transfer encodings: broken base64 and quoted-printable are decoded as far as they go, and noted."""

from gmail_tickets.mail import transfer
from gmail_tickets.mail.parse import parse


def _mail(cte: bytes, body: bytes) -> bytes:
    return (
        b"From: a@x.example\r\nSubject: s\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: " + cte + b"\r\n\r\n" + body
    )


def test_invalid_base64_decodes_what_it_can() -> None:
    mail = parse(_mail(b"base64", b"SGVsbG8s!IHdv\r\ncmxk\xff\r\n"))
    assert mail.text_body == "Hello, world"
    assert "invalid base64 in part 1; decoded what could be" in mail.problems


def test_truncated_and_inner_padded_base64() -> None:
    assert transfer.base64(b"aGVsbG8gd29yb") == (b"hello wor", False)  # a dangling sextet is dropped
    assert transfer.base64(b"QQ==\r\nQkI=") == (b"ABB", False)  # blocks padded one by one
    assert transfer.base64(b"aGVsbG8=\r\n") == (b"hello", True)


def test_text_that_is_not_base64_at_all_is_kept() -> None:
    mail = parse(_mail(b"base64", b"Sorry, this was never encoded! Really."))
    assert mail.text_body == "Sorry, this was never encoded! Really."
    assert "invalid base64 in part 1; decoded what could be" in mail.problems


def test_invalid_base64_attachment_still_has_bytes() -> None:
    raw = (
        b"From: a@x.example\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
        b"see attached\r\n--b\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"JVBERi0x#LjQK\r\n--b--\r\n"
    )
    mail = parse(raw)
    assert mail.attachments[0].data == b"%PDF-1.4\n"
    assert "invalid base64 in part 2; decoded what could be" in mail.problems


def test_invalid_quoted_printable_keeps_bad_escapes() -> None:
    mail = parse(_mail(b"quoted-printable", b"caf=C3=A9 costs 5=ZZ and =\r\nmore= \r\nhere"))
    assert mail.text_body == "café costs 5=ZZ and morehere"
    assert "invalid quoted-printable in part 1; bad escapes kept as they are" in mail.problems


def test_unknown_transfer_encoding_keeps_the_bytes() -> None:
    mail = parse(_mail(b"x-gzip64", b"plain after all"))
    assert mail.text_body == "plain after all"
    assert "unknown transfer encoding x-gzip64 in part 1; kept as it is" in mail.problems


def test_uuencode() -> None:
    assert transfer.uudecode(b"begin 644 x.txt\n%:&5L;&\\\n`\nend\n") == (b"hello", True)
