"""Charsets real mail gets wrong (mail/detect.py, mail/charsets.py): ISO-2022-JP left as escapes, Shift_JIS under
an ISO-2022-JP label, raw 8-bit headers and filenames, and undeclared text guessed in the wrong script."""

from __future__ import annotations

import base64

import pytest

from gmail_tickets.mail import charsets, detect
from gmail_tickets.mail.notes import Notes
from gmail_tickets.mail.parse import parse
from tests.corpora import ENMIME

JAPANESE = "こんにちは、注文が届いていません。"


def _mail(headers: bytes, body: bytes) -> bytes:
    return b"From: a@x.example\r\nSubject: s\r\n" + headers + b"\r\n" + body + b"\r\n"


@pytest.mark.parametrize("content_type", [b"", b"Content-Type: text/plain; charset=us-ascii\r\n",
                                          b"Content-Type: text/plain; charset=iso-2022-jp\r\n"])
def test_iso_2022_jp_bodies_are_decoded_not_left_as_escape_sequences(content_type: bytes) -> None:
    mail = parse(_mail(content_type, JAPANESE.encode("iso2022_jp")))
    assert mail.text_body == JAPANESE


def test_a_raw_iso_2022_jp_subject_is_decoded() -> None:
    raw = b"From: a@x.example\r\nSubject: " + "注文について".encode("iso2022_jp") + b"\r\n\r\nhi\r\n"
    assert parse(raw).subject == "注文について"


def test_shift_jis_bytes_in_an_encoded_word_labelled_iso_2022_jp() -> None:
    word = base64.b64encode("注文について".encode("cp932")).decode()
    mail = parse(_mail(f"Subject: =?ISO-2022-JP?B?{word}?=\r\n".encode().replace(b"Subject", b"X-Subject"), b"hi"))
    assert mail.headers["x-subject"] == "注文について"
    assert any("decoded as cp932" in p for p in mail.problems)


@pytest.mark.parametrize(("codec", "label"), [("euc_jp", "iso-2022-jp"), ("cp932", "iso-2022-jp"),
                                              ("utf-8", "shift_jis")])
def test_japanese_text_under_another_japanese_label_is_read_as_what_it_is(codec: str, label: str) -> None:
    notes = Notes()
    assert charsets.decode(JAPANESE.encode(codec), label, "part 1", notes) == JAPANESE
    assert notes.as_list() == [f"charset {label} decoded as {codec} in part 1"]


@pytest.mark.parametrize("text", ["Grüße aus Köln", "Ich möchte meine Bestellung ändern.", "Jürgen Müller",
                                  "«Réunion» à l'hôtel — café crème", "São Paulo informação"])
def test_raw_8bit_headers_in_utf8_and_in_latin_1(text: str) -> None:
    for codec in ("utf-8", "cp1252"):
        raw = b"From: " + text.encode(codec) + b" <a@x.example>\r\nSubject: " + text.encode(codec) + b"\r\n\r\nhi\r\n"
        mail = parse(raw)
        assert (mail.subject, mail.from_name, mail.from_address) == (text, text, "a@x.example")


@pytest.mark.parametrize(("text", "codec"), [
    ("你好，我的订单还没有到。请帮我查一下。", "gb18030"),
    ("你好，我的订单还没有到", "gb18030"),
    ("顏是家訓，北齊顏之推，卷第七，音辭雜藝終制", "cp950"),
    (JAPANESE, "cp932"),
    (JAPANESE, "euc_jp"),
    ("안녕하세요, 주문이 도착하지 않았습니다.", "cp949"),
    ("Привет! Мой заказ не пришёл.", "cp1251"),
    ("Zażółć gęślą jaźń, proszę o pomoc", "cp1250"),
    ("DIE Drachenköpfe unserer Boote bogen um das gelbe Segel. «Grüße»", "cp1252"),
])
def test_undeclared_8bit_text_is_read_in_its_own_script(text: str, codec: str) -> None:
    assert parse(_mail(b"", text.encode(codec))).text_body == text
    assert detect.guess(text.encode(codec)) == codec


def test_western_text_is_not_mistaken_for_cp1250_or_a_cjk_codec() -> None:
    assert detect.is_western("Grüße".encode("latin-1"))
    assert not detect.is_western("Привет".encode("cp1251"))
    assert not detect.is_western("你好".encode("gb18030"))
    assert not detect.is_western("Zażółć".encode("cp1250"))


@pytest.mark.parametrize(("name", "codec"), [("Rechnung Müller.pdf", "cp1252"), ("報告書のコピー.doc", "cp932"),
                                              ("报告.doc", "gb18030"), ("管理.doc", "utf-8")])
def test_filenames_in_raw_8bit_bytes_are_recovered_from_the_raw_header(name: str, codec: str) -> None:
    raw = (b"From: a@x.example\r\nSubject: f\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
           b"Content-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/octet-stream\r\n"
           b'Content-Disposition: attachment; filename="' + name.encode(codec) + b'"\r\n'
           b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n")
    assert [a.filename for a in parse(raw).attachments] == [name]


@pytest.mark.skipif(not ENMIME.is_dir(), reason=f"the enmime corpus is not at {ENMIME}")
def test_enmime_chardet_samples() -> None:
    latin = parse((ENMIME / "parts__chardet-success-iso-8859-1.eml").read_bytes())
    assert latin.text_body.startswith("DIE Drachenköpfe unserer Boote") and "«" in latin.text_body
    big5 = parse((ENMIME / "parts__chardet-success-big-5.eml").read_bytes())
    assert big5.text_body.startswith("顏是家訓")
    filename = parse((ENMIME / "mail__mime-bad-8bit-filename.eml").read_bytes())
    assert [a.filename for a in filename.attachments] == ["管理.doc"]


def test_a_utf8_header_with_a_stray_legacy_byte_keeps_its_utf8() -> None:
    raw = "From: Jürgen <j@x.example>\r\nSubject: Grüße – Señor ".encode() + b"\xe9t\xe9\r\n\r\nhi\r\n"
    mail = parse(raw)
    assert mail.subject == "Grüße – Señor été"
    assert "raw 8-bit bytes in header subject decoded as utf-8 with stray cp1252 bytes" in mail.problems


def test_a_japanese_mails_raw_header_bytes_and_half_width_katakana_escapes() -> None:
    raw = (b"From: a@x.example\r\nSubject: " + "件名".encode("cp932") + b"\r\n"
           b"Content-Type: text/plain; charset=iso-2022-jp\r\n\r\n" + "ｶﾀｶﾅ です".encode("iso2022_jp_ext") + b"\r\n")
    mail = parse(raw)
    assert (mail.subject, mail.text_body) == ("件名", "ｶﾀｶﾅ です")
