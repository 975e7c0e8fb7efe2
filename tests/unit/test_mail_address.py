"""Which addresses mail can go to, repaired where that needs no guess (domain/mail_address.py)."""

import pytest

from gmail_tickets.domain.mail_address import CheckedAddress, checked_address


@pytest.mark.parametrize(("raw", "repaired"), [
    ("ana@example.com.", "ana@example.com"),  # the DNS root's dot: SMTP forbids it, every reader means without
    ("ana@example.com..", "ana@example.com"),
    ("  ana@Example.COM ", "ana@example.com"),
    ("ana@example.com", "ana@example.com"),
    ("a@xn--exmple-cua.example", "a@xn--exmple-cua.example"),  # ASCII stays ASCII
    ('"ana smith"@example.com', '"ana smith"@example.com'),  # a quoted local part is valid mail
    ("ann@customer.test", "ann@customer.test"),
])
def test_an_address_that_can_be_repaired_safely_is(raw: str, repaired: str) -> None:
    assert checked_address(raw) == CheckedAddress(repaired)


@pytest.mark.parametrize("raw", ["a..b@example.com", "ana@localhost", "ana@exa mple.com", "ana", "@example.com",
                                 "ana@-example.com", "ana@example..com", "ana@host.invalid", "ana.@example.com"])
def test_an_address_that_cannot_be_repaired_keeps_its_spelling_and_says_why(raw: str) -> None:
    checked = checked_address(raw)
    assert not checked.usable and checked.address == raw.strip()
    assert checked.problem and checked.problem[0].islower() and not checked.problem.endswith(".")
