"""Connect (or reconnect) a Gmail account through Google's authorization-code flow with PKCE.

start_connect keeps everything that must not travel through the browser server-side (the PKCE verifier, what
the admin asked for) in a single-use OAuthFlow, and puts only a signed nonce in `state`. The signature covers
the admin's session too, so a state from another session is refused before the flow is even touched (a leaked
link cannot burn someone else's flow). finish_connect checks the account Google signed in BEFORE storing
anything: a browser signed into another Google account is the classic trap, and its token is revoked.

The initial import runs through `import_messages`, i.e. through the ledger: a sync racing it, or a second run,
records nothing twice. The cursor is taken from the profile before the import, so mail arriving meanwhile is
left to the next sync rather than missed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from gmail_tickets import secret_names
from gmail_tickets.domain.model import Connection, OAuthFlow
from gmail_tickets.domain.said import said
from gmail_tickets.errors import ConnectRefused, GmailTicketsError, OAuthRefused, TransientError
from gmail_tickets.ports import GMAIL_SCOPE, OAuthClient, Secrets, TokenGrant
from gmail_tickets.services.connect import connect_mailbox
from gmail_tickets.services.deps import Deps

log = logging.getLogger(__name__)

FLOW_LIFETIME = timedelta(minutes=10)
VERIFIER_LENGTH = 64  # RFC 7636: 43..128 characters


# --------------------------------------------------------------------------- state: pure


def session_hash(session_id: str) -> str:
    """What the flow stores instead of the admin's session id (a stolen store row does not give a session)."""
    return hashlib.sha256(b"gmail-tickets/admin-session\x00" + session_id.encode()).hexdigest()


def _mac(key: bytes, nonce: str, session_id: str) -> str:
    message = f"oauth-state\x00{nonce}\x00{session_hash(session_id)}".encode()
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()).rstrip(b"=").decode()


def sign_state(key: bytes, nonce: str, session_id: str) -> str:
    """`nonce.mac`: the MAC binds the nonce to the admin session that started the flow."""
    if not nonce or "." in nonce:
        raise ValueError("the nonce must be non-empty and contain no '.'")
    return f"{nonce}.{_mac(key, nonce, session_id)}"


def verify_state(key: bytes, state: str, session_id: str) -> str | None:
    """The nonce of a state signed for this session, else None (forged, altered, or another session's)."""
    nonce, dot, mac = (state or "").partition(".")
    if not nonce or not dot or not mac or not session_id:
        return None
    return nonce if hmac.compare_digest(mac, _mac(key, nonce, session_id)) else None


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) per RFC 7636."""
    verifier = secrets.token_urlsafe(48)[:VERIFIER_LENGTH]  # 64 chars of [A-Za-z0-9-_]
    return verifier, pkce_challenge(verifier)


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(auth_uri: str, *, client_id: str, redirect_uri: str, state: str, code_challenge: str,
                      login_hint: str) -> str:
    """Google's consent URL: offline access with prompt=consent, or no refresh token comes back."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": GMAIL_SCOPE,
        "access_type": "offline",
        "prompt": "consent",
        "login_hint": login_hint,
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    return auth_uri + ("&" if urlsplit(auth_uri).query else "?") + urlencode(params)


def state_key(secrets_port: Secrets) -> bytes:
    """The state-signing key, created on first use (in the cloud, Terraform creates it so instances agree)."""
    key = secrets_port.get(secret_names.OAUTH_STATE_KEY)
    if key is None:
        key = secrets.token_hex(32)
        secrets_port.put(secret_names.OAUTH_STATE_KEY, key)
    return bytes.fromhex(key)


def _check_redirect_uri(redirect_uri: str) -> None:
    parts = urlsplit(redirect_uri)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ConnectRefused(said("The OAuth redirect address must use https (plain http only on this machine)."))


# --------------------------------------------------------------------------- start


def start_connect(
    deps: Deps,
    *,
    session_id: str,
    address: str,
    brand_id: str | None,
    import_recent: bool,
    redirect_uri: str,
    auth_uri: str,
    client_id: str,
    reconnect: bool = False,
) -> str:
    """Save a single-use flow and return the URL to send the admin's browser to."""
    address = address.strip().lower()
    if "@" not in address or not session_id:
        raise ConnectRefused(said("Enter the Gmail address to connect."))
    _check_redirect_uri(redirect_uri)
    now = deps.clock.now()
    existing = deps.store.get_connection(address)
    nonce = secrets.token_urlsafe(24)
    verifier, challenge = pkce_pair()
    deps.store.save_oauth_flow(OAuthFlow(
        nonce=nonce,
        session_id=session_hash(session_id),
        address=address,
        brand_id=brand_id or (existing.brand_id if existing is not None else "default"),  # reconnect: as chosen
        import_recent=import_recent and existing is None,  # a reconnect imports the gap, not history
        code_verifier=verifier,
        redirect_uri=redirect_uri,
        created_at=now,
        expires_at=now + FLOW_LIFETIME,
        reconnect=reconnect or existing is not None,
    ))
    state = sign_state(state_key(deps.secrets), nonce, session_id)
    return authorization_url(auth_uri, client_id=client_id, redirect_uri=redirect_uri, state=state,
                             code_challenge=challenge, login_hint=address)


# --------------------------------------------------------------------------- finish


def finish_connect(
    deps: Deps,
    *,
    session_id: str,
    state: str,
    code: str,
    oauth: OAuthClient,
    watch: bool = True,
) -> Connection:
    """Complete a flow Google redirected back with. The import runs on `deps.jobs`: in the background on one
    machine (`connect_import.wait_for_import`), before returning in a function instance that may be frozen
    after answering."""
    flow = _take_flow(deps, session_id, state)
    if not code:
        raise ConnectRefused(said("Google sent no authorization code back (access was denied?). Start connecting "
                                  "again."))
    try:
        grant = oauth.exchange_code(code, redirect_uri=flow.redirect_uri, code_verifier=flow.code_verifier)
    except OAuthRefused as exc:
        raise ConnectRefused(said("Google did not accept this sign-in (%(error)s). Start connecting again.",
                                   error=exc.error)) from None
    except TransientError:  # the flow is used up: the admin has to start again either way
        raise ConnectRefused(said("Google could not be reached to finish the sign-in. Start connecting "
                                  "again.")) from None
    if not grant.refresh_token:
        raise ConnectRefused(said("Google gave no offline access for this account. Start connecting again."))
    try:
        actual = oauth.account_of(grant.access_token).strip().lower()
    except GmailTicketsError:
        raise ConnectRefused(said("Gmail could not be reached to check the account. Start connecting again.")) from None
    if actual != flow.address:
        revoked = _discard_wrong_account(deps, oauth, grant, actual)
        if revoked:
            raise ConnectRefused(said(
                "Google signed in %(chosen)s, not %(address)s. The browser is probably signed into another Google "
                "account: on Google's page choose %(address)s (or sign out of the other account) and connect "
                "again. Nothing was connected, and the access Google gave for the other account was revoked.",
                chosen=actual, address=flow.address))
        raise ConnectRefused(said(
            "Google signed in %(chosen)s, not %(address)s. The browser is probably signed into another Google "
            "account: on Google's page choose %(address)s (or sign out of the other account) and connect again. "
            "Nothing was connected.", chosen=actual, address=flow.address))
    return connect_mailbox(deps, flow.address, grant.refresh_token, brand_id=flow.brand_id,
                           import_recent=flow.import_recent,
                           testing_client=grant.refresh_token_expires_in is not None, watch=watch)


def _take_flow(deps: Deps, session_id: str, state: str) -> OAuthFlow:
    nonce = verify_state(state_key(deps.secrets), state, session_id)
    if nonce is None:
        raise ConnectRefused(said(
            "This sign-in answer does not belong to this admin session: it was altered, or the connection was "
            "started in another browser or session. Start connecting again from this page."
        ))
    flow = deps.store.take_oauth_flow(nonce, deps.clock.now())
    if flow is None:
        raise ConnectRefused(said(
            "This sign-in was already used or has expired (it lasts 10 minutes). Start connecting again."
        ))
    if not hmac.compare_digest(flow.session_id, session_hash(session_id)):
        raise ConnectRefused(said("This sign-in was started in another admin session. Start connecting again."))
    return flow


def _discard_wrong_account(deps: Deps, oauth: OAuthClient, grant: TokenGrant, actual: str) -> bool:
    """Revoke the token we did not ask for — unless that account is connected here itself: revoking kills the
    whole grant of our client for the account, which would disconnect it. True when revoked."""
    other = deps.store.get_connection(actual)
    if other is not None and other.is_active:
        return False
    try:
        oauth.revoke(grant.refresh_token or grant.access_token)
    except GmailTicketsError as exc:
        log.warning("revoking a wrong-account token failed", extra={"error": type(exc).__name__})
        return False
    return True
