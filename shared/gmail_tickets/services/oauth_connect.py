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
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

from gmail_tickets import secret_names
from gmail_tickets.domain import inbox_rules
from gmail_tickets.domain.model import AccountKind, Connection, ConnectionStatus, OAuthFlow
from gmail_tickets.errors import ConnectRefused, GmailTicketsError, OAuthRefused, TokenRevoked, TransientError
from gmail_tickets.ports import GMAIL_SCOPE, OAuthClient, Secrets, TokenGrant, UnitOfWork
from gmail_tickets.services.connect import ensure_support_address
from gmail_tickets.services.connection_health import mark_connection
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.sync_mailbox import import_messages, sync_mailbox

log = logging.getLogger(__name__)

FLOW_LIFETIME = timedelta(minutes=10)
VERIFIER_LENGTH = 64  # RFC 7636: 43..128 characters
IMPORT_RECENT_LIMIT = 300  # "Create tickets from the last 300 emails"
IMPORT_CHUNK = 50  # progress is written after each chunk
TESTING_CLIENT_WARNING = "OAuth client in Testing: tokens expire in 7 days"
CONSUMER_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


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


def account_kind_of(address: str) -> AccountKind:
    """Consumer accounts live on gmail.com; a Gmail mailbox on any other domain is Google Workspace."""
    return AccountKind.GMAIL if address.rpartition("@")[2].lower() in CONSUMER_DOMAINS else AccountKind.WORKSPACE


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
        raise ConnectRefused("The OAuth redirect address must use https (plain http only on this machine).")


# --------------------------------------------------------------------------- start


def start_connect(
    deps: Deps,
    *,
    session_id: str,
    address: str,
    brand_id: str,
    import_recent: bool,
    redirect_uri: str,
    auth_uri: str,
    client_id: str,
    reconnect: bool = False,
) -> str:
    """Save a single-use flow and return the URL to send the admin's browser to."""
    address = address.strip().lower()
    if "@" not in address or not session_id:
        raise ConnectRefused("Enter the Gmail address to connect.")
    _check_redirect_uri(redirect_uri)
    now = deps.clock.now()
    existing = deps.store.get_connection(address)
    nonce = secrets.token_urlsafe(24)
    verifier, challenge = pkce_pair()
    deps.store.save_oauth_flow(OAuthFlow(
        nonce=nonce,
        session_id=session_hash(session_id),
        address=address,
        brand_id=existing.brand_id if existing is not None else brand_id,
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
    background: bool = True,
) -> Connection:
    """Complete a flow Google redirected back with. Returns at once; the import runs in the background
    (`wait_for_import`), or before returning with background=False (a function instance that may be frozen
    after answering)."""
    flow = _take_flow(deps, session_id, state)
    if not code:
        raise ConnectRefused("Google sent no authorization code back (access was denied?). Start connecting again.")
    try:
        grant = oauth.exchange_code(code, redirect_uri=flow.redirect_uri, code_verifier=flow.code_verifier)
    except OAuthRefused as exc:
        raise ConnectRefused(f"Google did not accept this sign-in ({exc.error}). Start connecting again.") from None
    except TransientError:  # the flow is used up: the admin has to start again either way
        raise ConnectRefused("Google could not be reached to finish the sign-in. Start connecting again.") from None
    if not grant.refresh_token:
        raise ConnectRefused("Google gave no offline access for this account. Start connecting again.")
    try:
        actual = oauth.account_of(grant.access_token).strip().lower()
    except GmailTicketsError:
        raise ConnectRefused("Gmail could not be reached to check the account. Start connecting again.") from None
    if actual != flow.address:
        revoked = _discard_wrong_account(deps, oauth, grant, actual)
        raise ConnectRefused(
            f"Google signed in {actual}, not {flow.address}. The browser is probably signed into another Google "
            f"account: on Google's page choose {flow.address} (or sign out of the other account) and connect "
            "again. Nothing was connected"
            + (", and the access Google gave for the other account was revoked." if revoked else ".")
        )
    return _connect(deps, flow, grant, watch=watch, background=background)


def _take_flow(deps: Deps, session_id: str, state: str) -> OAuthFlow:
    nonce = verify_state(state_key(deps.secrets), state, session_id)
    if nonce is None:
        raise ConnectRefused(
            "This sign-in answer does not belong to this admin session: it was altered, or the connection was "
            "started in another browser or session. Start connecting again from this page."
        )
    flow = deps.store.take_oauth_flow(nonce, deps.clock.now())
    if flow is None:
        raise ConnectRefused(
            "This sign-in was already used or has expired (it lasts 10 minutes). Start connecting again."
        )
    if not hmac.compare_digest(flow.session_id, session_hash(session_id)):
        raise ConnectRefused("This sign-in was started in another admin session. Start connecting again.")
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


def _connect(deps: Deps, flow: OAuthFlow, grant: TokenGrant, *, watch: bool, background: bool) -> Connection:
    address = flow.address
    assert grant.refresh_token is not None
    before = deps.store.get_connection(address)
    reconnecting = before is not None  # the SAME connection, its cursor kept: the gap comes from history
    deps.secrets.put(secret_names.refresh_token(address), grant.refresh_token)
    try:
        mailbox = deps.mailbox_for(address)
        profile = mailbox.profile()  # the cursor, BEFORE anything is listed or imported
        label_id = mailbox.ensure_label(deps.settings.label_name)
        expiration = mailbox.watch(deps.settings.push_topic).expiration if watch else None
        ids: list[str] = []
        if not reconnecting:
            if flow.import_recent:
                refs = mailbox.list_messages(label_ids=[inbox_rules.INBOX], limit=IMPORT_RECENT_LIMIT)
            else:
                since = int(deps.clock.now().timestamp()) - deps.settings.initial_lookback_seconds
                refs = mailbox.list_messages(inbox_rules.full_sync_query(since))
            ids = [ref.id for ref in refs][: IMPORT_RECENT_LIMIT if flow.import_recent else None]
            ids.reverse()  # oldest first, so threads form in arrival order
    except GmailTicketsError as exc:
        if not reconnecting:
            deps.secrets.delete(secret_names.refresh_token(address))
        log.warning("connect failed", extra={"connection": address, "error": type(exc).__name__})
        raise ConnectRefused(f"Gmail refused to set up {address} ({type(exc).__name__}). Try again.") from None
    now = deps.clock.now()
    gap_since = None
    if before is not None:
        marks = [t for t in (before.last_sync_at, before.disconnected_at) if t is not None]
        gap_since = min(marks) if marks else before.created_at

    def work(uow: UnitOfWork) -> Connection:
        connection = uow.get_connection(address)
        if connection is None:
            connection = Connection(address=address, brand_id=flow.brand_id, created_at=now,
                                    account_kind=account_kind_of(address), history_id=profile.history_id,
                                    last_sync_at=now)  # everything before the cursor is the import's job
        elif connection.history_id is None:
            connection.history_id = profile.history_id
        connection.status = ConnectionStatus.CONNECTED
        connection.last_error = None
        connection.disconnected_at = None
        connection.label_id = label_id
        if expiration is not None:
            connection.watch_expiration = expiration
        connection.warnings = [w for w in connection.warnings if w != TESTING_CLIENT_WARNING]
        if grant.refresh_token_expires_in is not None:
            connection.warnings.append(TESTING_CLIENT_WARNING)
        if not reconnecting:
            connection.import_total, connection.import_done = len(ids), 0
        uow.put_connection(connection)
        return connection

    connection = deps.store.atomically(work)
    ensure_support_address(deps, address, connection.brand_id)
    log.info("mailbox connected", extra={"connection": address, "reconnect": reconnecting,
                                         "import": len(ids), "import_recent": flow.import_recent})
    if reconnecting:
        job = _gap_sync_job(deps, address, gap_since)
    else:
        job = _import_job(deps, address, ids, flow.import_recent)
    if background:
        _start(address, job)
    else:
        job()
    return deps.store.get_connection(address) or connection


# --------------------------------------------------------------------------- the import


def _import_job(deps: Deps, address: str, ids: list[str], suppress_triggers: bool) -> Callable[[], None]:
    def run() -> None:
        done = 0
        for start in range(0, len(ids), IMPORT_CHUNK):
            chunk = ids[start : start + IMPORT_CHUNK]
            result = import_messages(deps, address, chunk, suppress_triggers=suppress_triggers)
            if result.status != "synced":
                return
            done += len(chunk)
            _progress(deps, address, done)

    return _guarded(deps, address, run)


def _gap_sync_job(deps: Deps, address: str, since: datetime | None) -> Callable[[], None]:
    """Reconnected: the mail that came while disconnected, from the stored cursor. When history no longer
    reaches back that far, sync_mailbox falls back to a full sync of UNREAD mail; mail of the gap that was read
    on a phone meanwhile would be lost, so the gap's inbox mail is imported too, read or not (the ledger
    drops what the sync already recorded)."""

    def run() -> None:
        result = sync_mailbox(deps, address)
        if result.full_sync and since is not None:
            after = int(since.timestamp()) - deps.settings.full_sync_margin_seconds
            ids = [ref.id for ref in deps.mailbox_for(address).list_messages(f"in:inbox after:{after}")]
            ids.reverse()  # oldest first
            import_messages(deps, address, ids)

    return _guarded(deps, address, run)


def _guarded(deps: Deps, address: str, run: Callable[[], None]) -> Callable[[], None]:
    def guarded() -> None:
        try:
            run()
        except TokenRevoked as exc:
            mark_connection(deps, address, ConnectionStatus.DISCONNECTED, f"Google access was revoked: {exc}")
        except Exception as exc:  # a background thread: record it where the admin looks, never lose it
            log.exception("initial import failed", extra={"connection": address})
            mark_connection(deps, address, ConnectionStatus.ERROR, f"Import failed: {type(exc).__name__}")

    return guarded


def _progress(deps: Deps, address: str, done: int) -> None:
    def work(uow: UnitOfWork) -> None:
        connection = uow.get_connection(address)
        if connection is not None and done > connection.import_done:
            connection.import_done = min(done, connection.import_total)
            uow.put_connection(connection)

    deps.store.atomically(work)


_jobs: dict[str, threading.Thread] = {}
_jobs_lock = threading.Lock()


def _start(address: str, job: Callable[[], None]) -> None:
    thread = threading.Thread(target=job, name=f"import:{address}", daemon=True)
    with _jobs_lock:
        _jobs[address] = thread
    thread.start()


def wait_for_import(address: str, timeout: float = 60.0) -> bool:
    """Block until the background import of `address` has finished; False on timeout. For tests and the CLI."""
    with _jobs_lock:
        thread = _jobs.get(address.lower())
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()
