"""Header objects kept per value (mail/read_policy.py): the same header read twice is one object, and what is read
is what policy.default reads."""

from __future__ import annotations

import email
from email import policy

from gmail_tickets.mail.read_policy import READ_POLICY

MAIL = (b"From: =?utf-8?q?J=C3=B6rg?= <joerg@customer.test>\r\nTo: a@x.test, \"B, C\" <b@y.test>\r\n"
        b"Subject: =?iso-8859-1?q?Gr=FC=DFe?=\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n"
        b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
        b"Content-Type: text/plain; charset=\"utf-8\"\r\n\r\nHallo\r\n--b1\r\n"
        b"Content-Type: application/pdf; name=\"a.pdf\"\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\n"
        b"\r\nJVBERi0=\r\n--b1--\r\n")


def test_a_header_read_again_is_the_same_object() -> None:
    first = READ_POLICY.header_factory("Content-Type", 'text/plain; charset="utf-8"')
    again = READ_POLICY.header_factory("Content-Type", 'text/plain; charset="utf-8"')
    other = READ_POLICY.header_factory("content-type", 'text/plain; charset="utf-8"')

    assert again is first
    assert other is not first and other.name == "content-type"
    assert first.content_type == "text/plain" and dict(first.params) == {"charset": "utf-8"}


def test_long_values_are_parsed_each_time() -> None:
    value = "x" * 1_001
    assert READ_POLICY.header_factory("Subject", value) is not READ_POLICY.header_factory("Subject", value)


def test_a_mail_reads_as_policy_default_reads_it() -> None:
    kept = email.message_from_bytes(MAIL, policy=READ_POLICY)
    plain = email.message_from_bytes(MAIL, policy=policy.default)

    for name in ("from", "to", "subject", "date", "content-type"):
        assert str(kept[name]) == str(plain[name])
        assert kept[name].defects == plain[name].defects
    assert [a.addr_spec for a in kept["to"].addresses] == ["a@x.test", "b@y.test"]
    assert ([(p.get_content_type(), p.get_filename()) for p in kept.walk()]
            == [(p.get_content_type(), p.get_filename()) for p in plain.walk()])
    assert kept.as_bytes() == plain.as_bytes()
