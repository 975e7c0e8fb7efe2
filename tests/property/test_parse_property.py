"""Property tests: whatever the bytes, `parse` returns a sound InboundEmail or raises ParseFailure, nothing else.

Two sources, 10,000 examples in all (plus 500 of plain random bytes): mail built from random headers, charsets,
transfer encodings and multipart structure (`generated_mail`), and real mail (our samples, CPython's email corpus,
a few crafted mails) with its bytes mutated (`mutated_mail`): truncation, byte flips, inserted garbage, duplicated or
removed headers and lines, swapped line endings, charset and encoding labels. Derandomized so CI sees the same
examples every run.
"""

from __future__ import annotations

import base64
import binascii
import os
import quopri
import re
from pathlib import Path

import pytest
import test.test_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gmail_tickets.mail.parse import InboundEmail, ParseFailure, parse
from tests.property import assert_sound

GENERATED_EXAMPLES = 4_000
MUTATED_EXAMPLES = 6_000

_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}

# --- building blocks -------------------------------------------------------------------------------------------

SENTENCES = [
    "Hello, I cannot log in since this morning.",
    "Grüße aus München – können Sie helfen?",
    "Привет! Мой заказ не пришёл.",
    "你好，我的订单还没有到。𠀀",
    "안녕하세요, 주문이 도착하지 않았습니다.",
    "こんにちは、注文が届いていません。",
    "“Smart quotes” and €uro signs…",
    "On Sat, 28 Nov 2026, Alice <a@x.example> wrote:\n> quoted\n> more",
    "-----Original Message-----\nFrom: x\nSent: y",
    "",
    "=?utf-8?q?not_a_header?=",
    "line\r\nwith\rmixed\nendings",
]
_SENTENCE = st.sampled_from(SENTENCES)
TEXT = st.one_of(_SENTENCE, _SENTENCE, _SENTENCE, st.text(max_size=30))  # mostly real text: drawing is cheaper
LABELS = [
    "utf-8", "UTF8", '"utf-8"', "iso-8859-1", "us-ascii", "windows-1252", "gb2312", "gb18030", "ks_c_5601-1987",
    "euc-kr", "shift_jis", "iso-2022-jp", "koi8-r", "utf-16", "utf-7", "big5", "x-unknown", "bogus-charset",
    "base64", "undefined", "", "latin1", "cp-1252",
]
CODECS = ["utf-8", "latin-1", "cp1252", "gb18030", "cp949", "cp932", "koi8-r", "utf-16", "utf-7", "cp1251", "ascii"]
ADDRESSES = [
    b"a@x.example", b"Alice <alice@x.example>", b'"Doe, J" <j@d.example>', b"=?utf-8?q?J=C3=BCrgen?= <j@x.de>",
    b"undisclosed-recipients:;", b"<>", b"broken <", b"a@x.example,,", b"a@x.example; b@y.example;", b"@", b"x@",
    b"J\xfcrgen <j@x.de>", "Zoë <zoe@x.example>".encode(), b"=?gb2312?B?1tDOxA==?= <c@x.cn>", b"", b"Support Team",
    b"=?utf-8?q?broken <q@x.example>", b"a@x.example (comment)", b"<a@x.example>, <b@x.example>",
]
MESSAGE_IDS = [
    b"<abc@x.example>", b"<DB9PR01MB7353A1B2C3@DB9PR01MB7353.eurprd01.prod.exchangelabs.com>", b"abc@x",
    b"<>", b"", b"< spaced id >", b"<a@b> <c@d>", b"<0000000000000001@EXCH01.corp.example>", b"<\xff\xfe@x>",
]
DATES = [b"Sat, 28 Nov 2026 09:12:00 +0000", b"yesterday", b"", b"Mon, 99 Foo 99999 99:99:99 +9999", b"1 Jan 1970"]
ENCODINGS = ["7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "bogus", ""]
TYPES = [  # body types weighted up: most mail is text
    "text/plain", "text/plain", "text/plain", "text/html", "text/html", "text/html", "image/png", "application/pdf",
    "application/ms-tnef", "text/calendar",
    "application/octet-stream", "message/delivery-status", "text/rfc822-headers", "bogus", "",
]
FILENAMES = [
    None, None, None, None, b'filename="report.pdf"', b"filename*=utf-8''%E2%82%AC%20rapport.pdf",
    b'filename="=?utf-8?B?w6llLnBkZg==?="',
    b'filename="C:\\dir\\x.txt"', b"filename*0*=gb2312''%D6%D0; filename*1=.doc", b'filename="r\xc3\xa9sum\xc3\xa9"',
    b"filename=", b'filename="../../etc/passwd"',
]
HTML = [
    b"<p>Hello <b>there</b></p>", b'<img src="cid:logo@x"><script>alert(1)</script>',
    b'<a href="javascript:x()" onclick="y()">x</a><style>p{}</style>', b"<table><tr><td>x</table><p><div>",
    b"<html><head><title>t</title><body><blockquote>q</blockquote>", b"<form><input></form><iframe></iframe>",
]


_LABEL = st.sampled_from(LABELS)
_CODEC = st.sampled_from(CODECS)
_ONE_IN = {n: st.integers(0, n - 1) for n in (3, 4, 5, 6, 7, 9)}


@st.composite
def encoded_words(draw: st.DrawFn) -> bytes:
    label, data, b_encoding, cut = draw(st.tuples(_LABEL, TEXT, st.booleans(), _ONE_IN[6]))
    data = data.encode(draw(_CODEC), "replace")
    label = label.strip('"') or "utf-8"
    if b_encoding:
        word = b"=?" + label.encode() + b"?B?" + base64.b64encode(data) + b"?="
    else:
        word = b"=?" + label.encode() + b"?Q?" + quopri.encodestring(data, header=True).replace(b"\n", b"") + b"?="
    return word[: len(word) // 2] if cut == 0 else word  # sometimes a broken word


_ENCODED_WORD = encoded_words()


@st.composite
def _text_header(draw: st.DrawFn) -> bytes:
    kind = draw(_ONE_IN[4])
    if kind == 0:
        return draw(_ENCODED_WORD) + b" " + draw(_ENCODED_WORD)
    text = draw(TEXT).replace("\r", "").replace("\n", " ")
    return text.encode(draw(_CODEC), "replace") if kind == 1 else text.encode("ascii", "replace")


_ADDRESS_LIST = st.lists(st.sampled_from(ADDRESSES), max_size=3).map(b", ".join)
_ID_LIST = st.lists(st.sampled_from(MESSAGE_IDS), min_size=1, max_size=3).map(b" ".join)
HEADER_VALUES: dict[str, st.SearchStrategy[bytes]] = {
    **dict.fromkeys(("from", "to", "cc", "reply-to"), _ADDRESS_LIST),
    **dict.fromkeys(("message-id", "in-reply-to", "references"), _ID_LIST),
    "date": st.sampled_from(DATES),
    "return-path": st.sampled_from([b"<>", b"<bounce@x.example>", b""]),
    **dict.fromkeys(("subject", "x-mailer", "auto-submitted"), _text_header()),
}
_HEADER_NAMES = st.lists(st.sampled_from(sorted(HEADER_VALUES)), min_size=1, max_size=7)


@st.composite
def header_blocks(draw: st.DrawFn) -> bytes:
    lines = []
    for name in draw(_HEADER_NAMES):
        value = draw(HEADER_VALUES[name])
        if b" " in value and draw(_ONE_IN[7]) == 0:
            value = value.replace(b" ", b"\r\n\t", 1)  # folded
        lines.append(name.title().encode() + b": " + value)
    return b"\r\n".join(lines)


def _transfer_encode(data: bytes, cte: str, corrupt: bool) -> bytes:
    if cte == "base64":
        encoded = base64.encodebytes(data)
    elif cte == "quoted-printable":
        encoded = quopri.encodestring(data)
    elif cte == "x-uuencode":
        lines = (binascii.b2a_uu(data[i : i + 45]) for i in range(0, len(data), 45))
        encoded = b"begin 644 x\n" + b"".join(lines) + b"`\nend\n"
    else:
        encoded = data
    if corrupt and encoded:
        encoded = encoded[: len(encoded) // 2] + b"!#\xff=Z" + encoded[len(encoded) // 2 :]
    return encoded


_LEAF_CHOICES = st.tuples(
    st.sampled_from(TYPES),
    st.sampled_from([None, *LABELS]),
    st.sampled_from(ENCODINGS),
    st.sampled_from([None, None, None, b"inline", b"attachment"]),
    st.sampled_from(FILENAMES),
    _ONE_IN[4],
    _ONE_IN[5],
    st.sampled_from(HTML),
    TEXT,
    _CODEC,
)


@st.composite
def leaf_parts(draw: st.DrawFn) -> bytes:
    ctype, label, cte, disposition, filename, cid, corrupt, html, text, codec = draw(_LEAF_CHOICES)
    data = text.encode(codec, "replace")
    if ctype == "text/html":
        data = html + data
    headers = []
    if ctype or label:
        headers.append(b"Content-Type: " + ctype.encode() + (b"; charset=" + label.encode() if label else b""))
    if cte:
        headers.append(b"Content-Transfer-Encoding: " + cte.encode())
    if disposition or filename:
        params = b"; " + filename if filename else b""
        headers.append(b"Content-Disposition: " + (disposition or b"attachment") + params)
    if cid == 0:
        headers.append(b"Content-ID: <logo@x>")
    body = _transfer_encode(data, cte, corrupt=corrupt == 0)
    return b"\r\n".join(headers) + b"\r\n\r\n" + body


@st.composite
def forwarded_parts(draw: st.DrawFn) -> bytes:
    inner = draw(header_blocks()) + b"\r\n\r\n" + draw(TEXT).encode("utf-8")
    if draw(st.booleans()):
        return b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(inner)
    return b"Content-Type: message/rfc822\r\n\r\n" + inner


_MULTIPART_CHOICES = st.tuples(
    st.sampled_from(["mixed", "alternative", "related", "report", "signed", "digest", "bogus"]),
    st.sampled_from([b"b1", b"=_outer", b"x" * 70, b"same"]),
    _ONE_IN[9],
    st.booleans(),
    _ONE_IN[5],
)


@st.composite
def multiparts(draw: st.DrawFn, children: st.SearchStrategy[list[bytes]]) -> bytes:
    subtype, boundary, no_boundary, preamble, close = draw(_MULTIPART_CHOICES)
    param = b"" if no_boundary == 0 else b'; boundary="' + boundary + b'"'
    if subtype == "report":
        param += b"; report-type=delivery-status"
    body = b"preamble\r\n" if preamble else b""
    body += b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in draw(children))
    if close:  # mostly closed, sometimes not
        body += b"--" + boundary + b"--\r\n"
    return b"Content-Type: multipart/" + subtype.encode() + param + b"\r\n\r\n" + body


STRUCTURES = st.recursive(
    st.one_of(leaf_parts(), leaf_parts(), forwarded_parts()),
    lambda children: multiparts(st.lists(children, max_size=4)),
    max_leaves=6,
)


@st.composite
def generated_mail(draw: st.DrawFn) -> bytes:
    raw = draw(header_blocks()) + b"\r\nMIME-Version: 1.0\r\n" + draw(STRUCTURES)
    return raw.replace(b"\r\n", b"\n") if draw(_ONE_IN[5]) == 0 else raw


# --- mutations of real mail ------------------------------------------------------------------------------------

CORPUS = Path(os.path.dirname(test.test_email.__file__)) / "data"
SAMPLES = Path(__file__).parents[2] / "devstack" / "sample_mail"
CRAFTED = [  # what the sample and corpus files lack: bounces, cid images, TNEF, mislabelled charsets, forwards
    b"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\nTo: support@example.com\r\n"
    b"Subject: Delivery Status Notification (Failure)\r\nContent-Type: multipart/report; "
    b"report-type=delivery-status; boundary=r\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
    b"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\nAction: failed\r\n\r\n"
    b"--r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <t-1@example.com>\r\nSubject: Re: x\r\n--r--\r\n",
    b"From: =?utf-8?q?Zo=C3=AB?= <zoe@x.example>\r\nTo: a@x.example; b@x.example;\r\nCc: c@x.example,\r\n"
    b"Message-ID: <DB9PR01MB7353@DB9PR01MB7353.eurprd01.prod.exchangelabs.com>\r\nSubject: =?gb2312?B?1tDOxA==?=\r\n"
    b"Content-Type: multipart/related; boundary=rel\r\n\r\n--rel\r\nContent-Type: multipart/alternative; boundary=alt"
    b"\r\n\r\n--alt\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable"
    b"\r\n\r\n=93Hi=94 =96 see logo\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p onclick="x()">Hi <img src="cid:logo@x"></p><script>alert(1)</script>\r\n--alt--\r\n'
    b"--rel\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"iVBORw0KGgo=\r\n--rel\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\n"
    b"Content-Disposition: attachment; filename*=utf-8''%E2%82%AC.dat\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"eJ8+IgAA\r\n--rel--\r\n",
    b"From: k@x.kr\r\nSubject: \xc4\xe3\xba\xc3\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n"
    b"Content-Type: text/plain; charset=ks_c_5601-1987\r\n\r\n" + "안녕하세요 똠방각하".encode("cp949") + b"\r\n--m\r\n"
    b"Content-Type: message/rfc822\r\n\r\nFrom: b@y\r\nSubject: Fwd: order\r\n\r\nWhere is it?\r\n--m--\r\n",
]
SEEDS = [p.read_bytes() for p in sorted(SAMPLES.glob("*.eml")) + sorted(CORPUS.glob("msg_*.txt"))] + CRAFTED
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def _header_lines(data: bytes) -> list[bytes]:
    end = _HEADER_END.search(data)
    return data[: end.start() if end else len(data)].split(b"\n")


@st.composite
def mutation(draw: st.DrawFn, data: bytes) -> bytes:
    op = draw(st.integers(0, 9))
    at = draw(st.integers(0, len(data)))
    if op == 0:  # truncation
        return data[:at]
    if op == 1:  # byte flips
        flipped = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            if flipped:
                i = draw(st.integers(0, len(flipped) - 1))
                flipped[i] ^= draw(st.integers(1, 255))
        return bytes(flipped)
    if op == 2:  # inserted garbage
        return data[:at] + draw(st.binary(min_size=1, max_size=40)) + data[at:]
    if op in (3, 4):  # duplicated or removed header line
        lines = _header_lines(data)
        i = draw(st.integers(0, max(0, len(lines) - 1)))
        line = lines[i] if lines else b""
        return data.replace(line, line + b"\n" + line, 1) if op == 3 else data.replace(line + b"\n", b"", 1)
    if op == 5:  # a line removed anywhere (a boundary, a header, a blank line)
        lines = data.split(b"\n")
        del lines[draw(st.integers(0, len(lines) - 1))]
        return b"\n".join(lines)
    if op == 6:  # line endings swapped
        return data.replace(b"\r\n", b"\n") if b"\r\n" in data else data.replace(b"\n", b"\r\n")
    if op == 7:  # charset relabelled
        label = draw(st.sampled_from(LABELS)).encode()
        return re.sub(rb"charset=\"?[\w.:-]*\"?", b"charset=" + label, data, count=draw(st.integers(0, 3)), flags=re.I)
    if op == 8:  # transfer encoding relabelled
        cte = draw(st.sampled_from(ENCODINGS)).encode()
        return re.sub(rb"(?im)^(content-transfer-encoding:).*$", rb"\1 " + cte, data, count=1)
    return data[:at] + draw(st.sampled_from([b"\xff\xfe", b"=?", b"\r\n\r\n", b"--", b"\x00", b"<", b";"])) + data[at:]


@st.composite
def mutated_mail(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        data = draw(mutation(data))
    return data


# --- the properties --------------------------------------------------------------------------------------------


def _parse_soundly(raw: bytes) -> InboundEmail | None:
    try:
        mail = parse(raw)
    except ParseFailure:
        return None
    assert_sound(mail)
    return mail


@pytest.mark.slow
@settings(max_examples=GENERATED_EXAMPLES, **_SETTINGS)
@given(generated_mail())
def test_generated_mail_parses_soundly(raw: bytes) -> None:
    mail = _parse_soundly(raw)
    assert mail is not None  # every generated mail has a header block


@pytest.mark.slow
@settings(max_examples=MUTATED_EXAMPLES, **_SETTINGS)
@given(mutated_mail())
def test_mutated_mail_parses_soundly(raw: bytes) -> None:
    _parse_soundly(raw)


@pytest.mark.slow
@settings(max_examples=500, **_SETTINGS)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_parse_or_raise_parse_failure(raw: bytes) -> None:
    _parse_soundly(raw)
