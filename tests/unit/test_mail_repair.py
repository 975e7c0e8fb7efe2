"""Header blocks a strict reader loses (mail/repair.py): junk before the headers, broken folds, `Name : value`.
Composed mails for each case, then the enmime corpus's real ones."""

from __future__ import annotations

import pytest

from gmail_tickets.mail.notes import Notes
from gmail_tickets.mail.parse import ParseFailure, parse
from gmail_tickets.mail.repair import mend
from tests.corpora import ENMIME

HEADERS = (b"From: Ann Example <ann@x.example>\r\nTo: support@example.com\r\nSubject: Printer on fire\r\n"
           b"Message-ID: <1@x.example>\r\nContent-Type: text/plain; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8sIGl0IGlzIG9uIGZpcmUu\r\n")


def _assert_headers_kept(raw: bytes) -> list[str]:
    mail = parse(raw)
    assert mail.subject == "Printer on fire"
    assert mail.from_address == "ann@x.example" and mail.from_name == "Ann Example"
    assert mail.to == ["support@example.com"]
    assert mail.text_body == "Hello, it is on fire."  # base64 decoded: Content-Transfer-Encoding was read
    return mail.problems


@pytest.mark.parametrize("junk", [b"// exported by SomeTool 1.2\r\n", b"garbage\n\nmore garbage\n", b"\r\n",
                                  b">>>>> \x00\x01 binary\r\n", b"X\r\nY\r\nZ\r\n"])
def test_junk_lines_before_the_headers_are_skipped(junk: bytes) -> None:
    problems = _assert_headers_kept(junk + HEADERS)
    assert any("junk line" in p and "before the headers skipped" in p for p in problems)


def test_a_leading_space_and_a_byte_order_mark_before_the_first_header_are_removed() -> None:
    assert "whitespace before the first header removed" in _assert_headers_kept(b" " + HEADERS)
    _assert_headers_kept(b"\xef\xbb\xbf" + HEADERS)


def test_a_continuation_without_leading_whitespace_is_joined_to_its_header() -> None:
    raw = HEADERS.replace(b"Subject: Printer on fire\r\n", b"Subject: Printer\r\non fire\r\n")
    assert "header continuation without leading whitespace joined" in _assert_headers_kept(raw)


def test_several_broken_continuations_in_a_row_are_joined() -> None:
    raw = HEADERS.replace(b"Subject: Printer on fire\r\n", b"Subject: Printer\r\non\r\nfire\r\n")
    _assert_headers_kept(raw)


def test_a_space_before_the_colon_does_not_end_the_headers() -> None:
    raw = HEADERS.replace(b"Subject: Printer on fire", b"Subject : Printer on fire")
    assert "space before a header's colon removed" in _assert_headers_kept(raw)


def test_a_broken_fold_inside_a_mime_part_keeps_its_filename() -> None:
    raw = (b"From: a@x.example\r\nSubject: files\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
           b"Content-Type: application/pdf;\r\nname=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           b"JVBERi0=\r\n--b--\r\n")
    mail = parse(raw)
    assert [(a.filename, a.data) for a in mail.attachments] == [("invoice.pdf", b"%PDF-")]


def test_body_text_after_the_blank_line_is_never_joined() -> None:
    raw = b"From: a@x.example\r\nSubject: s\r\n\r\nfirst line\r\nNote: not a header\r\n"
    assert mend(raw, Notes()) == raw
    assert parse(raw).text_body == "first line\r\nNote: not a header".replace("\r\n", "\n")


def test_a_stray_line_at_the_end_of_the_headers_starts_the_body_as_before() -> None:
    raw = b"From: a@x.example\r\nSubject: s\r\nthis is the body without a blank line\r\n"
    mail = parse(raw)
    assert mail.subject == "s" and "this is the body" in mail.text_body


@pytest.mark.parametrize("raw", [b"just a line of text\nand another", b"\r\n\r\njust a body, no headers at all\r\n",
                                 b"\x89PNG\r\n\x1a\n\x00\x00IHDR: x\r\n"])
def test_text_without_a_header_block_is_still_not_a_mail(raw: bytes) -> None:
    with pytest.raises(ParseFailure):
        parse(raw)


def test_the_stored_bytes_decide_the_derived_message_id_not_the_mended_ones() -> None:
    raw = b"junk\r\nFrom: a@x.example\r\nSubject: s\r\n\r\nbody\r\n"
    from gmail_tickets.mail.parse import derived_message_id

    assert parse(raw).message_id == derived_message_id(raw)


needs_enmime = pytest.mark.skipif(not ENMIME.is_dir(), reason=f"the enmime corpus is not at {ENMIME}")


@needs_enmime
def test_enmime_bad_header_start_and_wrap() -> None:
    start = parse((ENMIME / "low-quality__bad-header-start.eml").read_bytes())
    assert (start.from_address, start.subject) == ("james@makita.skynet", "plain text")
    wrap = parse((ENMIME / "low-quality__bad-header-wrap.eml").read_bytes())
    assert [a.filename for a in wrap.attachments] == ["7DDA4_foo_9E5D72.zip"]


def test_a_parameter_list_broken_before_the_blank_line_is_joined() -> None:
    raw = (b"From: a@x.example\r\nSubject: s\r\nContent-Type: multipart/mixed;\r\nboundary=\"zz\"\r\n\r\n"
           b"--zz\r\nContent-Type: text/plain\r\n\r\nhello\r\n--zz--\r\n")
    mail = parse(raw)
    assert (mail.content_type, mail.text_body) == ("multipart/mixed", "hello")


def test_a_mail_past_the_scan_limit_still_has_its_own_header_block_mended() -> None:
    raw = (b"junk\r\nFrom: a@x.example\r\nSubject: broken\r\nfold\r\nTo: t@x.example\r\n\r\n"
           + b"x" * 100 + b"\r\n" + (b"y" * 100 + b"\r\n") * 12_000)
    assert len(raw) > 1_000_000
    mail = parse(raw)
    assert (mail.subject, mail.from_address, mail.to) == ("broken fold", "a@x.example", ["t@x.example"])
    assert mail.text_body.startswith("x" * 100) and len(mail.text_body) > 1_000_000


def test_junk_after_an_mbox_separator_is_skipped_and_the_separator_kept_out_of_the_headers() -> None:
    mail = parse(b"From MAILER-DAEMON Sat Dec  5 10:00:00 2026\r\n>junk\r\n" + HEADERS)
    assert mail.subject == "Printer on fire" and mail.from_address == "ann@x.example"
