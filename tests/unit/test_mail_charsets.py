"""Charsets: declared, mislabelled and undeclared text all decode without mojibake, and the oddity is noted."""

import pytest

from gmail_tickets.mail import charsets
from gmail_tickets.mail.notes import Notes
from gmail_tickets.mail.parse import parse


def _text_mail(body: bytes, content_type: bytes = b"text/plain", cte: bytes = b"8bit") -> bytes:
    return (
        b"From: a@x.example\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: " + content_type
        + b"\r\nContent-Transfer-Encoding: " + cte + b"\r\n\r\n" + body
    )


def test_gb2312_is_decoded_as_gb18030() -> None:
    text = "你好，𠀀号订单 — 谢谢"  # 𠀀 and — are not in gb2312
    mail = parse(_text_mail(text.encode("gb18030"), b"text/plain; charset=gb2312"))
    assert mail.text_body == text
    assert "charset gb2312 decoded as gb18030 in part 1" in mail.problems


def test_ks_c_5601_1987_is_decoded_as_cp949() -> None:
    text = "안녕하세요 똠방각하"  # 똠 is cp949-only
    mail = parse(_text_mail(text.encode("cp949"), b'text/plain; charset="ks_c_5601-1987"'))
    assert mail.text_body == text
    assert "charset ks_c_5601-1987 decoded as cp949 in part 1" in mail.problems


@pytest.mark.parametrize("label", [b"iso-8859-1", b"us-ascii", b"ISO_8859-1", b"latin1"])
def test_latin1_or_ascii_with_c1_bytes_is_cp1252(label: bytes) -> None:
    text = "“Quoted” – 20 € café"
    mail = parse(_text_mail(text.encode("cp1252"), b"text/plain; charset=" + label))
    assert mail.text_body == text
    assert any("decoded as cp1252" in p for p in mail.problems)


def test_real_latin1_stays_latin1() -> None:
    mail = parse(_text_mail("Grüße, Jürgen".encode("latin-1"), b"text/plain; charset=iso-8859-1"))
    assert mail.text_body == "Grüße, Jürgen"
    assert mail.problems == ["no Message-ID; one derived from the content"]


def test_latin1_label_on_utf8_bytes_is_utf8() -> None:
    mail = parse(_text_mail("Grüße aus Köln".encode(), b"text/plain; charset=iso-8859-1"))
    assert mail.text_body == "Grüße aus Köln"
    assert "charset iso-8859-1 decoded as utf-8 in part 1" in mail.problems


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("windows-1252", "cp1252"), ("cp-1252", "cp1252"), ("win-1251", "cp1251"), ("x-sjis", "cp932"),
        ("shift_jis", "cp932"), ("big5", "cp950"), ("euc-kr", "cp949"), ("gbk", "gb18030"), ("tis-620", "cp874"),
        ("iso-8859-8-i", "iso8859-8"), ("x-mac-roman", "mac-roman"), ("unicode-1-1-utf-8", "utf-8"),
        ('"UTF8"', "utf-8"), ("latin-9", "iso8859-15"), ("koi8-r", "koi8-r"),
    ],
)
def test_well_known_aliases(label: str, codec: str) -> None:
    assert charsets.resolve(label) == codec


@pytest.mark.parametrize("label", ["x-unknown", "unknown-8bit", "", "base64", "undefined", "no-such-charset"])
def test_labels_that_say_nothing_resolve_to_none(label: str) -> None:
    assert charsets.resolve(label) is None


def test_unknown_charset_falls_back_to_detection() -> None:
    mail = parse(_text_mail("naïve café".encode(), b"text/plain; charset=x-klingon"))
    assert mail.text_body == "naïve café"
    assert "unknown charset x-klingon in part 1" in mail.problems


def test_undeclared_utf8_is_tried_first() -> None:
    mail = parse(_text_mail("Ünïcödé ✓".encode(), b"text/plain"))
    assert mail.text_body == "Ünïcödé ✓"
    assert "no charset for 8-bit text in part 1; decoded as utf-8" in mail.problems


def test_undeclared_legacy_bytes_are_detected() -> None:
    text = "Здравствуйте! Мой заказ до сих пор не пришёл, пожалуйста, проверьте."
    mail = parse(_text_mail(text.encode("cp1251"), b"text/plain"))
    assert mail.text_body == text
    assert "no charset for 8-bit text in part 1; detected cp1251" in mail.problems


def test_declared_utf8_that_is_really_cp1252() -> None:
    mail = parse(_text_mail("Grüße – Jürgen".encode("cp1252"), b"text/plain; charset=utf-8"))
    assert mail.text_body == "Grüße – Jürgen"
    assert any(p.startswith("charset utf-8 decoded as") for p in mail.problems)


def test_utf8_with_one_stray_byte_keeps_the_rest() -> None:
    mail = parse(_text_mail("Grüße ".encode() + b"\xff" + " und schöne Tage".encode(), b"text/plain; charset=utf-8"))
    assert mail.text_body == "Grüße \ufffd und schöne Tage"
    assert "invalid utf-8 bytes in part 1 replaced" in mail.problems


def test_decoding_never_yields_lone_surrogates() -> None:
    text = charsets.decode(b"+2AA-", "utf-7", "part 1", Notes())  # utf-7 can encode a lone surrogate
    assert text == "\ufffd"
    assert text.encode("utf-8")
