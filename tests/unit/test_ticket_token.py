"""Signed ticket ids in our Message-IDs, and the [#123] subject token."""

import re
from collections.abc import Callable

import pytest

from gmail_tickets.domain.ticket_token import (
    DEFAULT_DOMAIN,
    TicketTokens,
    generate_key,
    subject_token,
    tag_subject,
    ticket_from_subject,
)

KEY = b"k" * 32
tokens = TicketTokens(KEY)


def _swap_char(text: str, index: int) -> str:
    """The same text with one character replaced by a different one of the same alphabet."""
    replacement = "b" if text[index] != "b" else "c"
    return text[:index] + replacement + text[index + 1 :]


# --- Message-IDs -------------------------------------------------------------------------------------------------


def test_message_id_has_the_documented_shape_and_round_trips() -> None:
    mid = tokens.message_id(123, nonce="abc")
    assert re.fullmatch(r"t123\.abc\.[a-z2-7]{16}@tickets\.gmail-tickets\.invalid", mid)
    assert tokens.ticket_from_message_id(mid) == 123
    assert tokens.is_ours(mid)


def test_random_nonce_makes_every_message_id_unique_and_each_verifies() -> None:
    ids = {tokens.message_id(7) for _ in range(50)}
    assert len(ids) == 50
    assert all(tokens.ticket_from_message_id(mid) == 7 for mid in ids)


def test_same_inputs_give_the_same_message_id() -> None:
    assert tokens.message_id(5, nonce="n1") == tokens.message_id(5, nonce="n1")


@pytest.mark.parametrize(
    "wrap",
    [
        lambda mid: f"<{mid}>",
        lambda mid: f"  <{mid}>\r\n",
        lambda mid: f"< {mid} >",
        lambda mid: mid.replace(DEFAULT_DOMAIN, DEFAULT_DOMAIN.upper()),
        lambda mid: mid.upper(),  # a gateway that re-cases the whole id
    ],
)
def test_verification_tolerates_brackets_whitespace_and_case(wrap: Callable[[str], str]) -> None:
    assert tokens.ticket_from_message_id(wrap(tokens.message_id(42, nonce="xyz"))) == 42


def test_custom_domain_is_used_and_required() -> None:
    custom = TicketTokens(KEY, domain="Mail.Example.COM")
    mid = custom.message_id(9, nonce="n")
    assert mid.endswith("@mail.example.com")
    assert custom.ticket_from_message_id(mid) == 9
    assert tokens.ticket_from_message_id(mid) is None  # same key, other domain: not ours


def test_tampered_signature_is_rejected() -> None:
    mid = tokens.message_id(123, nonce="abc")
    sig_start = mid.index("@") - 16
    assert tokens.ticket_from_message_id(_swap_char(mid, sig_start)) is None
    assert tokens.ticket_from_message_id(_swap_char(mid, mid.index("@") - 1)) is None


def test_tampered_ticket_id_is_rejected() -> None:
    mid = tokens.message_id(123, nonce="abc")
    assert tokens.ticket_from_message_id(mid.replace("t123.", "t124.", 1)) is None
    assert tokens.ticket_from_message_id(mid.replace("t123.", "t1234.", 1)) is None


def test_tampered_nonce_is_rejected() -> None:
    mid = tokens.message_id(123, nonce="abc")
    assert tokens.ticket_from_message_id(mid.replace(".abc.", ".abd.", 1)) is None


def test_message_id_from_another_key_is_rejected() -> None:
    other = TicketTokens(b"o" * 32)
    assert tokens.ticket_from_message_id(other.message_id(123, nonce="abc")) is None
    assert not tokens.is_ours(other.message_id(123))


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        " ",
        "<>",
        "@",
        "no-at-sign",
        "CAF=abc+def@mail.gmail.com",  # somebody else's Message-ID
        f"t123.abc@{DEFAULT_DOMAIN}",  # missing signature
        f"t123.abc.aaaaaaaaaaaaaaaa.extra@{DEFAULT_DOMAIN}",
        f"t0.abc.aaaaaaaaaaaaaaaa@{DEFAULT_DOMAIN}",
        f"t-1.abc.aaaaaaaaaaaaaaaa@{DEFAULT_DOMAIN}",
        f"t0123.abc.aaaaaaaaaaaaaaaa@{DEFAULT_DOMAIN}",
        f"t{'9' * 40}.abc.aaaaaaaaaaaaaaaa@{DEFAULT_DOMAIN}",
        f"t1.abc.aaaaaaaaaaaaaaa1@{DEFAULT_DOMAIN}",  # not base32
        f"t1.ab\u00e7.aaaaaaaaaaaaaaaa@{DEFAULT_DOMAIN}",  # non-ASCII must not reach compare_digest
        f"t1..aaaaaaaaaaaaaaaa@{DEFAULT_DOMAIN}",
        "<" * 5000,
        "\x00\xff\ud800",
    ],
)
def test_garbage_message_ids_are_none_never_an_exception(garbage: str) -> None:
    assert tokens.ticket_from_message_id(garbage) is None
    assert not tokens.is_ours(garbage)


@pytest.mark.parametrize("garbage", [None, 123, b"t1.a.b@x", ["t1"]])
def test_non_string_message_ids_are_none(garbage: object) -> None:
    assert tokens.ticket_from_message_id(garbage) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -1, 10**18, True, 1.0, "12"])
def test_message_id_refuses_ids_the_parser_would_not_accept(bad: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        tokens.message_id(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad_nonce", ["", "a.b", "a@b", "a b", "x" * 65, "é"])
def test_message_id_refuses_nonces_that_would_break_parsing(bad_nonce: str) -> None:
    with pytest.raises(ValueError):
        tokens.message_id(1, nonce=bad_nonce)


def test_given_nonce_is_lower_cased() -> None:
    assert tokens.message_id(1, nonce="ABC-_9").startswith("t1.abc-_9.")


@pytest.mark.parametrize("bad_key", [b"", b"short", "a string key of enough length!!"])
def test_short_or_non_bytes_keys_are_refused(bad_key: object) -> None:
    with pytest.raises(ValueError):
        TicketTokens(bad_key)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad_domain", ["", "a b", "x@y", "<x>", "-x.com", "x..com"])
def test_unusable_domains_are_refused(bad_domain: str) -> None:
    with pytest.raises(ValueError):
        TicketTokens(KEY, domain=bad_domain)


def test_repr_never_shows_the_key() -> None:
    assert "k" * 8 not in repr(tokens)
    assert DEFAULT_DOMAIN in repr(tokens)


def test_generate_key_gives_32_fresh_random_bytes() -> None:
    first, second = generate_key(), generate_key()
    assert isinstance(first, bytes)
    assert len(first) == 32
    assert first != second
    assert TicketTokens(first).ticket_from_message_id(TicketTokens(first).message_id(3)) == 3


# --- subject tokens ----------------------------------------------------------------------------------------------


def test_subject_token_format() -> None:
    assert subject_token(123) == "[#123]"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Printer on fire [#123]", 123),
        ("[#123] Printer on fire", 123),
        ("Re: Order [#45] broken [#123]", 123),  # the last token is ours
        ("Re: [# 123 ]", 123),  # re-typed with spaces
        ("Fwd: RE: AW: Printer [#7]", 7),
        ("No token here", None),
        ("", None),
        ("[#0]", None),
        ("[#-5]", None),
        ("[#0123]", None),
        ("[#12a]", None),
        ("#123", None),
        ("[123]", None),
        ("[#]", None),
        (f"[#{'9' * 40}]", None),
    ],
)
def test_ticket_from_subject(subject: str, expected: int | None) -> None:
    assert ticket_from_subject(subject) == expected


def test_ticket_from_subject_ignores_non_strings() -> None:
    assert ticket_from_subject(None) is None  # type: ignore[arg-type]


def test_tag_subject_appends_once() -> None:
    assert tag_subject("Printer on fire", 123) == "Printer on fire [#123]"
    assert tag_subject("Re: Printer on fire [#123]", 123) == "Re: Printer on fire [#123]"
    assert tag_subject("Order [#45] broken", 123) == "Order [#45] broken [#123]"
    assert tag_subject("  ", 5) == "[#5]"
    assert ticket_from_subject(tag_subject("Order [#45] broken", 123)) == 123
