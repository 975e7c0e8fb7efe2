"""The desk's people rules (domain/people.py), passwords (argon2id) and the sign-in throttle."""

from __future__ import annotations

import pytest

from gmail_tickets.domain.people import Agent, Role, leaves_an_admin, new_token, sender_name, signed, token_hash
from gmail_tickets.errors import ActionRefused
from gmail_tickets.services import passwords
from gmail_tickets.web.throttle import PER_ACCOUNT, PER_ADDRESS, WINDOW_SECONDS, Throttle


def test_passwords_are_argon2id_and_checked() -> None:
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert passwords.verify(stored, "correct horse battery")
    assert not passwords.verify(stored, "correct horse batterY")
    assert not passwords.verify(None, "correct horse battery")  # no account: no, in the same time
    assert not passwords.verify("not a hash", "x")
    assert not passwords.verify(stored, "x" * (passwords.MAX_CHARS + 1))
    with pytest.raises(ActionRefused, match="at least 10"):
        passwords.hash_password("short")


def test_the_throttle_waits_per_account_and_per_address() -> None:
    now = [0.0]
    throttle = Throttle(lambda: now[0])
    for _ in range(PER_ACCOUNT):
        assert not throttle.blocked("ana@x.example", "10.0.0.1")
        throttle.failed("ana@x.example", "10.0.0.1")
    assert throttle.blocked("ana@x.example", "10.0.0.2")  # the account waits, from any address
    assert not throttle.blocked("bo@x.example", "10.0.0.2")
    for i in range(PER_ADDRESS):
        throttle.failed(f"guess{i}@x.example", "10.0.0.3")
    assert throttle.blocked("someone@x.example", "10.0.0.3")  # the address waits, for any account
    now[0] += WINDOW_SECONDS
    assert not throttle.blocked("ana@x.example", "10.0.0.3")  # only until the window has passed


def test_a_token_is_stored_by_its_hash_only() -> None:
    token, digest = new_token()
    assert len(token) >= 40 and digest == token_hash(token) and token not in digest
    assert new_token()[0] != token


def test_the_desk_keeps_an_active_admin() -> None:
    amy = Agent("amy@x.example", "Amy", Role.ADMIN)
    bo = Agent("bo@x.example", "Bo", Role.ADMIN)
    ana = Agent("ana@x.example", "Ana")
    demoted = Agent("amy@x.example", "Amy", Role.AGENT)
    assert not leaves_an_admin([amy, ana], demoted)
    assert leaves_an_admin([amy, bo, ana], demoted)
    assert not leaves_an_admin([amy, Agent("bo@x.example", "Bo", Role.ADMIN, active=False)],
                               Agent("amy@x.example", "Amy", Role.ADMIN, active=False))


def test_a_mailed_reply_is_named_and_signed() -> None:
    assert sender_name("Ana", "Acme Support") == "Ana (Acme Support)"
    assert sender_name("", "Acme Support") == "Acme Support"
    assert sender_name("Ana", "") == "Ana"
    assert signed("Thanks.", "Ana\r\nAcme\n") == "Thanks.\n\nAna\nAcme"
    assert signed("Thanks.", "  ") == "Thanks."
