"""The OAuth `state` and PKCE pieces of the connect flow: pure functions, no store, no HTTP."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from gmail_tickets.domain.model import AccountKind
from gmail_tickets.services.connect import account_kind_of
from gmail_tickets.services.oauth_connect import (
    GMAIL_SCOPE,
    authorization_url,
    pkce_challenge,
    pkce_pair,
    session_hash,
    sign_state,
    verify_state,
)

KEY = bytes(range(32))


def test_a_signed_state_verifies_for_its_own_session() -> None:
    state = sign_state(KEY, "nonce-1", "session-a")
    assert verify_state(KEY, state, "session-a") == "nonce-1"


def test_another_session_is_refused() -> None:
    assert verify_state(KEY, sign_state(KEY, "nonce-1", "session-a"), "session-b") is None


def test_another_key_is_refused() -> None:
    assert verify_state(bytes(32), sign_state(KEY, "nonce-1", "session-a"), "session-a") is None


@pytest.mark.parametrize("mutate", [
    lambda s: s.replace("nonce-1", "nonce-2"),  # another flow's nonce with this MAC
    lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),  # MAC altered
    lambda s: s.split(".")[0],  # MAC dropped
    lambda s: "." + s.split(".")[1],  # nonce dropped
    lambda s: "",
    lambda s: s + "x",
])
def test_altered_states_are_refused(mutate: Callable[[str], str]) -> None:
    state = sign_state(KEY, "nonce-1", "session-a")
    assert verify_state(KEY, mutate(state), "session-a") is None


def test_an_empty_session_never_verifies() -> None:
    assert verify_state(KEY, sign_state(KEY, "n", ""), "") is None


def test_nonces_with_a_dot_are_rejected_when_signing() -> None:
    with pytest.raises(ValueError):
        sign_state(KEY, "a.b", "s")


def test_the_session_is_stored_hashed() -> None:
    digest = session_hash("session-a")
    assert digest != "session-a" and re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest == session_hash("session-a") != session_hash("session-b")


def test_pkce_verifier_and_s256_challenge_follow_rfc_7636() -> None:
    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128 and re.fullmatch(r"[A-Za-z0-9\-._~]+", verifier)
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == expected
    assert pkce_pair()[0] != verifier
    rfc_7636_appendix_b = ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert pkce_challenge(rfc_7636_appendix_b[0]) == rfc_7636_appendix_b[1]


def test_the_authorization_url_asks_for_offline_gmail_access_with_pkce() -> None:
    url = authorization_url("https://accounts.google.com/o/oauth2/v2/auth", client_id="cid",
                            redirect_uri="https://helpdesk.example/oauth/callback", state="n.mac",
                            code_challenge="chal", login_hint="support@example.com")
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.netloc == "accounts.google.com"
    assert query == {
        "response_type": "code", "client_id": "cid", "redirect_uri": "https://helpdesk.example/oauth/callback",
        "scope": GMAIL_SCOPE, "access_type": "offline", "prompt": "consent", "login_hint": "support@example.com",
        "state": "n.mac", "code_challenge": "chal", "code_challenge_method": "S256",
    }


def test_account_kind_by_domain() -> None:
    assert account_kind_of("someone@gmail.com") is AccountKind.GMAIL
    assert account_kind_of("someone@GoogleMail.com") is AccountKind.GMAIL
    assert account_kind_of("support@example.com") is AccountKind.WORKSPACE
