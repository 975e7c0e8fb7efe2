"""Google's Authentication-Results stamp, read from real-shaped headers: only the topmost, only Google's."""

import pytest

from gmail_tickets.domain.org_domain import organizational_domain
from gmail_tickets.domain.sender_auth import SenderAuth
from gmail_tickets.mail.authentication import sender_auth
from gmail_tickets.mail.notes import Notes
from gmail_tickets.mail.parse import parse

PASS_ALL = (
    "mx.google.com;\r\n"
    "       dkim=pass header.i=@customer.example header.s=google header.b=Kx3Jd9a1;\r\n"
    "       spf=pass (google.com: domain of cara@customer.example designates 209.85.220.41 as permitted sender)"
    " smtp.mailfrom=cara@customer.example;\r\n"
    "       dmarc=pass (p=QUARANTINE sp=QUARANTINE dis=NONE) header.from=customer.example"
)
UNAUTHENTICATED = ("mx.google.com;\r\n       spf=none (google.com: cara@customer.example does not designate permitted "
                   "sender hosts) smtp.mailfrom=cara@customer.example")
SPOOF = (
    "mx.google.com;\r\n"
    "       dkim=pass header.i=@evil.example header.s=s1 header.b=AAAA;\r\n"
    "       spf=fail (google.com: domain of cara@customer.example does not designate 198.51.100.9 as permitted"
    " sender) smtp.mailfrom=cara@customer.example;\r\n"
    "       dmarc=fail (p=REJECT sp=REJECT dis=QUARANTINE) header.from=customer.example"
)


def read(*headers: str, sender: str = "cara@customer.example") -> tuple[SenderAuth | None, list[str]]:
    notes = Notes()
    return sender_auth(list(headers), sender, notes), notes.as_list()


def test_a_full_pass_is_a_verified_sender() -> None:
    auth, notes = read(PASS_ALL)
    assert auth == SenderAuth(from_domain="customer.example", spf="pass", spf_domain="customer.example", dkim="pass",
                              dkim_domains=("customer.example",), dmarc="pass", spf_aligned=True, dkim_aligned=True)
    assert auth.authenticated and auth.dmarc_published and not auth.possible_spoof and notes == []
    assert auth.label == "verified sender"


def test_gmails_stamp_for_a_domain_without_records_is_not_verified_and_no_spoof() -> None:
    auth, _ = read(UNAUTHENTICATED)
    assert (auth.spf, auth.dkim, auth.dmarc) == ("none", None, None)
    assert not auth.authenticated and not auth.dmarc_published and not auth.possible_spoof
    assert auth.label == "not verified"


def test_a_dmarc_failure_of_a_publishing_domain_is_a_possible_spoof_whatever_else_passed() -> None:
    auth, _ = read(SPOOF)
    assert auth.dkim == "pass" and auth.dkim_domains == ("evil.example",) and not auth.dkim_aligned
    assert not auth.authenticated and auth.possible_spoof and auth.label == "possible spoof (DMARC failed)"


def test_several_dkim_signatures_any_aligned_pass_counts() -> None:
    auth, _ = read("mx.google.com; dkim=fail header.i=@customer.example header.s=a header.b=x;"
                   " dkim=pass header.i=@esp-mailer.example header.s=b header.b=y;"
                   " dkim=pass header.d=mail.customer.example header.s=c header.b=z")
    assert auth.dkim == "pass" and auth.dkim_domains == ("esp-mailer.example", "mail.customer.example")
    assert auth.dkim_aligned and auth.authenticated and auth.dmarc is None


def test_only_failing_signatures_give_the_worst_result_and_no_domain() -> None:
    auth, _ = read("mx.google.com; dkim=neutral (body hash did not verify) header.i=@customer.example;"
                   " dkim=fail header.i=@customer.example")
    assert (auth.dkim, auth.dkim_domains, auth.authenticated) == ("fail", (), False)


def test_spf_must_align_by_organizational_domain() -> None:
    aligned, _ = read("mx.google.com; spf=pass smtp.mailfrom=bounce@mail.customer.example")
    assert aligned.spf_aligned and aligned.authenticated
    foreign, _ = read("mx.google.com; spf=pass smtp.mailfrom=bounce@sendgrid.example")
    assert not foreign.spf_aligned and not foreign.authenticated
    assert organizational_domain("a.b.example.co.uk") == "example.co.uk"


def test_a_forged_google_stamp_below_gmails_own_is_never_read() -> None:
    forged = "mx.google.com; dkim=pass header.d=customer.example; spf=pass smtp.mailfrom=x@customer.example; dmarc=pass"
    auth, _ = read(SPOOF, forged)
    assert auth.possible_spoof and not auth.authenticated


def test_when_the_topmost_stamp_is_not_googles_nothing_is_trusted() -> None:
    auth, notes = read("mx.evil.example; dmarc=pass header.from=customer.example", PASS_ALL)
    assert auth is None and notes == ["topmost Authentication-Results is not Google's; sender not verified"]
    assert read("MX.GOOGLE.COM; spf=pass smtp.mailfrom=customer.example")[0].authenticated  # ids are not case-bound


def test_a_dmarc_verdict_on_another_domain_says_nothing_about_this_from() -> None:
    auth, _ = read("mx.google.com; dmarc=fail (p=REJECT) header.from=other.example")
    assert auth.dmarc is None and not auth.possible_spoof


def test_gmails_bestguesspass_is_no_published_policy_and_no_pass() -> None:
    auth, _ = read("mx.google.com; dmarc=bestguesspass header.from=customer.example")
    assert not auth.dmarc_published and not auth.authenticated


def test_an_unknown_sender_is_never_verified() -> None:
    auth, _ = read(PASS_ALL, sender="")
    assert auth.from_domain == "" and not auth.authenticated and auth.dmarc is None


@pytest.mark.parametrize("header", ["", ";;;", "mx.google.com; spf", "mx.google.com; spf=pass smtp.mailfrom=(",
                                    "mx.google.com; dkim=pass header.i=@", "\x00\udc80", "(" * 500])
def test_malformed_stamps_never_raise(header: str) -> None:
    auth, _ = read(header)
    assert auth is None or not auth.authenticated


def test_parse_reads_the_stamp_of_the_mail_and_keeps_it_from_the_headers_gmail_prepends() -> None:
    raw = (f"Authentication-Results: {PASS_ALL}\r\n"
           "Authentication-Results: mx.google.com; dmarc=fail header.from=customer.example\r\n"
           "From: Cara <cara@customer.example>\r\nSubject: Hello\r\n\r\nHi\r\n").encode()
    assert parse(raw).auth.authenticated
    assert parse(b"From: cara@customer.example\r\nSubject: s\r\n\r\nbody").auth is None
