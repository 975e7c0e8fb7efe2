"""Connect a Gmail account whose refresh token is in hand: the one path after the OAuth callback
(`oauth_connect`), and for the demo, the bench and the tests.

The cursor is taken from the profile BEFORE anything is imported, so mail arriving during the import is picked up
by the next sync rather than missed; the import goes through the ledger, so it never duplicates what a sync records.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from gmail_tickets import secret_names
from gmail_tickets.domain import inbox_rules
from gmail_tickets.domain.ingest_context import IngestMode
from gmail_tickets.domain.model import AccountKind, AddressKind, Connection, ConnectionStatus, SupportAddress
from gmail_tickets.errors import ConnectRefused, GmailTicketsError, TokenRevoked
from gmail_tickets.ports import UnitOfWork
from gmail_tickets.services.connection_health import mark_connection
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.sync_mailbox import import_messages, sync_mailbox

log = logging.getLogger(__name__)

IMPORT_RECENT_LIMIT = 300  # "Create tickets from the last 300 emails"
IMPORT_CHUNK = 50  # progress is written after each chunk
TESTING_CLIENT_WARNING = "OAuth client in Testing: tokens expire in 7 days"
CONSUMER_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def ensure_support_address(deps: Deps, address: str, brand_id: str) -> SupportAddress:
    """The connected mailbox's support address; the first address of the helpdesk becomes the default, so
    there is always one to send from."""
    addresses = deps.store.list_support_addresses()
    existing = next((a for a in addresses if a.address == address), None)
    if existing is not None:
        if existing.kind != AddressKind.GMAIL_CONNECTOR:
            existing.kind = AddressKind.GMAIL_CONNECTOR
            deps.store.save_support_address(existing)
        return existing
    added = SupportAddress(address, brand_id=brand_id, is_default=not addresses, kind=AddressKind.GMAIL_CONNECTOR)
    deps.store.save_support_address(added)
    return added


def account_kind_of(address: str) -> AccountKind:
    """Consumer accounts live on gmail.com; a Gmail mailbox on any other domain is Google Workspace."""
    return AccountKind.GMAIL if address.rpartition("@")[2].lower() in CONSUMER_DOMAINS else AccountKind.WORKSPACE


def connect_mailbox(
    deps: Deps,
    address: str,
    refresh_token: str,
    *,
    brand_id: str = "default",
    import_recent: bool = False,
    testing_client: bool = False,
    watch: bool = True,
    background: bool = False,
) -> Connection:
    """Connect (or reconnect) the account whose refresh token is in hand: after the OAuth callback, or directly
    in the demo, the bench and the tests. Refuses a token of another account before storing anything else.
    `import_recent`: the 300 newest inbox mails with triggers suppressed, else unread mail of the last hour;
    a reconnect imports the gap instead. `background` runs the import in a thread (`wait_for_import`)."""
    address = address.lower()
    before = deps.store.get_connection(address)
    reconnecting = before is not None  # the SAME connection, its cursor kept: the gap comes from history
    deps.secrets.put(secret_names.refresh_token(address), refresh_token)
    try:
        mailbox = deps.mailbox_for(address)
        profile = mailbox.profile()  # the cursor, BEFORE anything is listed or imported
        if profile.email_address.lower() != address:
            raise ConnectRefused(
                f"Google signed in {profile.email_address}, not {address}: on Google's page choose {address} "
                "(or sign out of the other account in the browser) and connect again."
            )
        label_id = mailbox.ensure_label(deps.settings.label_name)
        expiration = mailbox.watch(deps.settings.push_topic).expiration if watch else None
        ids: list[str] = []
        if not reconnecting:
            if import_recent:
                refs = mailbox.list_messages(label_ids=[inbox_rules.INBOX], limit=IMPORT_RECENT_LIMIT)
            else:
                since = int(deps.clock.now().timestamp()) - deps.settings.initial_lookback_seconds
                refs = mailbox.list_messages(inbox_rules.full_sync_query(since))
            ids = [ref.id for ref in refs][: IMPORT_RECENT_LIMIT if import_recent else None]
            ids.reverse()  # oldest first, so threads form in arrival order
    except GmailTicketsError as exc:
        if not reconnecting:
            deps.secrets.delete(secret_names.refresh_token(address))
        if isinstance(exc, ConnectRefused):
            raise
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
            connection = Connection(address=address, brand_id=brand_id, created_at=now,
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
        if testing_client:
            connection.warnings.append(TESTING_CLIENT_WARNING)
        if not reconnecting:
            connection.import_total, connection.import_done = len(ids), 0
        uow.put_connection(connection)
        return connection

    connection = deps.store.atomically(work)
    ensure_support_address(deps, address, connection.brand_id)
    log.info("mailbox connected", extra={"connection": address, "reconnect": reconnecting,
                                         "import": len(ids), "import_recent": import_recent})
    job = _gap_sync_job(deps, address, gap_since) if reconnecting else _import_job(deps, address, ids, import_recent)
    if background:
        _start(address, job)
    else:
        job()
    return deps.store.get_connection(address) or connection


# --------------------------------------------------------------------------- the import


def _import_job(deps: Deps, address: str, ids: list[str], suppress_triggers: bool) -> Callable[[], None]:
    mode = IngestMode.IMPORT if suppress_triggers else IngestMode.LIVE

    def run() -> None:
        done = 0
        for start in range(0, len(ids), IMPORT_CHUNK):
            chunk = ids[start : start + IMPORT_CHUNK]
            result = import_messages(deps, address, chunk, mode=mode)
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
