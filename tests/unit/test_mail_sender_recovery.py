"""Senders real mail writes wrongly (mail/sender.py, mail/headers.py), recovered without loosening who a mail is
from: an address recovered from a malformed From is still only as trusted as Google's stamp vouches."""

from __future__ import annotations

import pytest

from gmail_tickets.mail.parse import UNKNOWN_SENDER, parse
from gmail_tickets.mail.sender import single_mailbox

GOOGLE_PASS = (b"Authentication-Results: mx.google.com; dkim=pass header.i=@example.com; "
               b"spf=pass smtp.mailfrom=bounce@example.com; dmarc=pass header.from=example.com\r\n")


def _from(*lines: bytes, extra: bytes = b"") -> bytes:
    return extra + b"".join(lines) + b"Subject: s\r\nTo: support@example.com\r\n\r\nhi\r\n"


@pytest.mark.parametrize(("header", "name", "address"), [
    (b"From: Test test@example.com\r\n", "Test", "test@example.com"),
    (b"From: <power quadrant system@example.com>\r\n", "power quadrant", "system@example.com"),
    (b"From: Support Desk <desk helpdesk@example.com>\r\n", "Support Desk desk", "helpdesk@example.com"),
    (b"From: =?utf-8?q?J=C3=BCrgen?= juergen@example.com\r\n", "Jürgen", "juergen@example.com"),
])
def test_an_address_without_angle_brackets_or_with_words_inside_them_is_recovered(
        header: bytes, name: str, address: str) -> None:
    mail = parse(_from(header))
    assert (mail.from_name, mail.from_address, mail.requester) == (name, address, address)
    assert "header from: address recovered from a malformed mailbox" in mail.problems


@pytest.mark.parametrize("header", [
    b"From: victim@bank.example attacker@evil.example\r\n",
    b"From: <victim@bank.example attacker@evil.example>\r\n",
    b'From: "victim@bank.example" attacker evil.example\r\n',
    b"From: =?utf-8?q?victim=40bank.example?=\r\n",
    b"From: Support Team\r\n",
    b"From: Ann <ann@example.com\r\n",  # unbalanced: a truncated or crafted header is not guessed at
    b'From: "victim@bank.example <mallory@evil.example>\r\n',
])
def test_text_with_no_single_address_word_stays_an_unknown_sender(header: bytes) -> None:
    assert parse(_from(header)).requester == UNKNOWN_SENDER


def test_an_angle_address_still_beats_an_address_like_display_name() -> None:
    assert single_mailbox("victim@bank.example <attacker@evil.example>").address == "attacker@evil.example"


def test_a_recovered_address_is_verified_only_by_a_google_stamp_for_its_own_domain() -> None:
    vouched = parse(_from(b"From: Test test@example.com\r\n", extra=GOOGLE_PASS))
    assert vouched.from_address == "test@example.com" and vouched.authenticated
    other = parse(_from(b"From: Test test@other.example\r\n", extra=GOOGLE_PASS))
    assert other.from_address == "test@other.example" and not other.authenticated
    unstamped = parse(_from(b"From: Test test@example.com\r\n"))
    assert unstamped.auth is None and not unstamped.authenticated


def test_of_two_from_headers_the_first_with_an_address_counts() -> None:
    mail = parse(_from(b"From: Support Team\r\n", b"From: Real Person <real@example.com>\r\n"))
    assert (mail.from_name, mail.from_address) == ("Real Person", "real@example.com")
    assert "2 from headers; number 2, the first with an address, used" in mail.problems
    first = parse(_from(b"From: a@example.com\r\n", b"From: b@example.com\r\n"))
    assert first.from_address == "a@example.com"


def test_a_comment_is_kept_as_the_display_name() -> None:
    mail = parse(_from(b"From: marc@example.com (Marc Smith)\r\n"))
    assert (mail.from_name, mail.from_address) == ("Marc Smith", "marc@example.com")
    named = parse(_from(b"From: Marc <marc@example.com> (work)\r\n"))
    assert named.from_name == "Marc"


@pytest.mark.parametrize(("header", "name"), [
    (b"From: =?utf-8?b?5byg?= =?utf-8?b?5Lyf?= <m@example.com>\r\n", "张伟"),
    (b"From: =?iso-8859-1?q?J=FCrgen_?=\r\n =?iso-8859-1?q?M=FCller?= <m@example.com>\r\n", "Jürgen Müller"),
    (b"From: =?utf-8?q?Ann?= Lee <m@example.com>\r\n", "Ann Lee"),
])
def test_whitespace_between_adjacent_encoded_words_is_dropped_in_names(header: bytes, name: str) -> None:
    assert parse(_from(header)).from_name == name


def test_whitespace_between_adjacent_encoded_words_is_dropped_in_subjects() -> None:
    raw = b"From: a@example.com\r\nSubject: =?utf-8?q?Hello?=\r\n =?iso-8859-1?q?W=F6rld?= now\r\n\r\nhi\r\n"
    assert parse(raw).subject == "HelloWörld now"


def test_a_blank_text_part_gives_way_to_the_html_body() -> None:
    raw = (b"From: a@example.com\r\nSubject: s\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n \r\n\t\r\n\r\n"
           b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The <b>real</b> message</p>\r\n--b--\r\n")
    mail = parse(raw)
    assert mail.text_body == "The real message"
    assert mail.html_body is not None and "<b>real</b>" in mail.html_body
    plain = parse(raw.replace(b" \r\n\t\r\n", b"Plain words\r\n"))
    assert plain.text_body == "Plain words"


def test_a_from_with_several_authors_is_read_as_the_sender_it_lists_and_never_as_another() -> None:
    authors = b"From: Ann <ann@example.com>, Bob <bob@example.com>\r\n"
    mail = parse(_from(authors, b"Sender: Bob <bob@example.com>\r\n"))
    assert (mail.from_name, mail.from_address) == ("Bob", "bob@example.com")
    outsider = parse(_from(authors, b"Sender: mallory@evil.example\r\n"))
    assert outsider.requester == UNKNOWN_SENDER
    assert parse(_from(authors)).requester == UNKNOWN_SENDER


def test_a_text_part_of_zero_width_characters_also_gives_way_to_the_html() -> None:
    raw = (b"From: a@example.com\r\nSubject: s\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + "\u200b\ufeff\u00a0".encode() + b"\r\n"
           b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<div>Hello from HTML</div>\r\n--b--\r\n")
    assert parse(raw).text_body == "Hello from HTML"
