"""Property tests for who a mail is from: whatever the From and Authentication-Results text, the strict reader and
the stamp reader answer (never raise), an address never comes out of an encoded word, and an unknown sender is
never verified."""

from __future__ import annotations

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from gmail_tickets.mail.authentication import sender_auth
from gmail_tickets.mail.notes import Notes
from gmail_tickets.mail.sender import single_mailbox

_TOKENS = st.sampled_from(['"', "<", ">", "(", ")", ",", ":", ";", "@", "\\", " ", "\r\n", "a", "x.example",
                           "ann", "=?utf-8?q?", "?=", "=40", "mx.google.com", "=", "pass", "fail", "dkim", "spf",
                           "dmarc", "header.from", "smtp.mailfrom", "."])
_TEXT = st.one_of(st.lists(_TOKENS, max_size=30).map("".join), st.text(max_size=200))
_SETTINGS = settings(max_examples=1_500, derandomize=True, deadline=None)


@_SETTINGS
@given(_TEXT)
def test_single_mailbox_always_answers_with_a_plain_address_or_a_reason(raw: str) -> None:
    found = single_mailbox(raw)
    assert (found.address is None) != (found.problem is None)
    if found.address is not None:
        assert "@" in found.address and "\r" not in found.address and "\n" not in found.address
        assert "<" not in found.address and ">" not in found.address


@_SETTINGS
@given(st.text(max_size=80), st.sampled_from(["b", "q"]))
def test_an_encoded_word_alone_never_yields_an_address(decoded: str, encoding: str) -> None:
    data = decoded.encode("utf-8", "surrogatepass")
    payload = base64.b64encode(data).decode() if encoding == "b" else "".join(f"={b:02X}" for b in data)
    assert single_mailbox(f"=?utf-8?{encoding}?{payload}?=").address is None


@_SETTINGS
@given(st.lists(_TEXT, max_size=3), st.sampled_from(["", "ann@x.example"]))
def test_the_stamp_reader_never_raises_and_never_verifies_an_unknown_sender(headers: list[str], sender: str) -> None:
    auth = sender_auth(headers, sender, Notes())
    if auth is not None and not sender:
        assert not auth.authenticated
