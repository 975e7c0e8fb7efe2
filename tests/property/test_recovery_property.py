"""Property tests of the recoveries real-world mail needs: junk before the headers, broken folds, adjacent encoded
words, addresses without angle brackets. Derandomized, so CI sees the same examples every run."""

from __future__ import annotations

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from gmail_tickets.mail.parse import parse
from tests.property import assert_sound

_SETTINGS = settings(max_examples=300, derandomize=True, deadline=None, database=None)
_WORD = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Z")), min_size=1, max_size=8)
_ASCII_WORD = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=10)
# A junk line: printable text that does not start like a header (no "name:" at its start).
_JUNK = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60).filter(
    lambda line: ":" not in line.split(" ", 1)[0] and not line.startswith("From "))
_BREAK = st.sampled_from(["\r\n", "\n"])


def _block(subject: str, newline: str) -> str:
    return newline.join([
        "From: Ann Example <ann@x.example>", "To: support@example.com", f"Subject: {subject}",
        "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "",
        base64.b64encode(b"the body").decode(), "",
    ])


def _assert_read(raw: bytes, subject: str) -> None:
    mail = parse(raw)
    assert_sound(mail)
    assert mail.from_address == "ann@x.example" and mail.to == ["support@example.com"]
    assert mail.subject == subject
    assert mail.text_body == "the body"


@_SETTINGS
@given(st.lists(_JUNK, min_size=1, max_size=5), st.lists(_ASCII_WORD, min_size=1, max_size=6), _BREAK)
def test_any_header_block_preceded_by_junk_lines_still_yields_its_headers(
        junk: list[str], words: list[str], newline: str) -> None:
    subject = " ".join(words)
    _assert_read((newline.join(junk) + newline + _block(subject, newline)).encode(), subject)


@_SETTINGS
@given(st.lists(_ASCII_WORD, min_size=2, max_size=6), _BREAK)
def test_a_subject_folded_without_leading_whitespace_keeps_every_header(words: list[str], newline: str) -> None:
    broken = newline.join(words)  # each word on its own line, none indented
    _assert_read(_block(broken, newline).encode(), " ".join(words))


@_SETTINGS
@given(st.lists(_WORD, min_size=2, max_size=5), st.lists(st.sampled_from([" ", "  ", "\r\n ", "\r\n\t", "\t"]),
                                                        min_size=4, max_size=4), st.sampled_from(["b", "q"]))
def test_any_adjacent_encoded_words_decode_without_the_space_between_them(
        words: list[str], gaps: list[str], encoding: str) -> None:
    def encoded(word: str) -> str:
        data = word.encode("utf-8")
        payload = base64.b64encode(data).decode() if encoding == "b" else "".join(f"={b:02X}" for b in data)
        return f"=?utf-8?{encoding}?{payload}?="

    header = encoded(words[0]) + "".join(gap + encoded(w) for gap, w in zip(gaps, words[1:], strict=False))
    raw = f"From: a@x.example\r\nSubject: {header}\r\n\r\nhi\r\n".encode()
    assert parse(raw).subject == " ".join("".join(words).split())


@_SETTINGS
@given(st.lists(_ASCII_WORD, min_size=1, max_size=3), _ASCII_WORD, st.booleans())
def test_words_before_a_bare_address_or_inside_its_brackets_are_its_name(
        names: list[str], local: str, angled: bool) -> None:
    address = f"{local}@example.com"
    mailbox = " ".join([*names, address])
    raw = f"From: {'<' + mailbox + '>' if angled else mailbox}\r\nSubject: s\r\n\r\nhi\r\n".encode()
    mail = parse(raw)
    assert (mail.from_address, mail.from_name) == (address.lower(), " ".join(names))
