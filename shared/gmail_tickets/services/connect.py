"""Connect a Gmail account whose refresh token is in hand: the one path after the OAuth callback
(`oauth_connect`), and for the demo, the bench and the tests.

`connect_mailbox` is a sequence of named steps: verify the account, prepare its label and watch, plan the import,
mark the connection connected, then hand the import to the runtime's job runner (`connect_import`). The cursor is
taken from the profile BEFORE anything is imported, so mail arriving during the import is picked up by the next
sync rather than missed; the import goes through the ledger, so it never duplicates what a sync records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from gmail_tickets.domain import dns_records, inbox_rules
from gmail_tickets.domain.ingest_context import IngestMode
from gmail_tickets.domain.mailbox_alerts import TESTING_CLIENT_WARNING
from gmail_tickets.domain.model import AccountKind, AddressKind, Connection, ConnectionStatus, SupportAddress
from gmail_tickets.domain.said import said
from gmail_tickets.errors import ConnectRefused, GmailTicketsError
from gmail_tickets.ports import ConnectionUnit, Mailbox
from gmail_tickets.services.connect_import import gap_sync_job, import_job, import_job_name
from gmail_tickets.services.deps import Deps
from gmail_tickets.settings import Settings

log = logging.getLogger(__name__)

IMPORT_RECENT_LIMIT = 300  # "Create tickets from the last 300 emails"


@dataclass(frozen=True)
class MailboxSetup:
    """What was found and set up in Gmail, before anything is stored."""

    history_id: int  # the cursor: everything before it is the import's job, everything after the syncs'
    label_id: str
    watch_expiration: datetime | None  # None: no watch (one machine has no Pub/Sub topic to push to)


@dataclass(frozen=True)
class ImportPlan:
    """The job that brings a connection's mail in, planned while Gmail is being set up (so its listing fails
    the connect, not the job), run once the connection is stored."""

    job: Callable[[], None]
    total: int | None  # mails to import; None for a reconnection (the gap is not counted up front)


def connect_mailbox(
    deps: Deps,
    address: str,
    refresh_token: str,
    *,
    brand_id: str | None = None,
    import_recent: bool = False,
    testing_client: bool = False,
    watch: bool = True,
) -> Connection:
    """Connect (or reconnect) the account whose refresh token is in hand: after the OAuth callback, or directly
    in the demo, the bench and the tests. Refuses a token of another account before storing anything else.
    `import_recent`: the 300 newest inbox mails with triggers suppressed, else unread mail of the last hour;
    a reconnect imports the gap instead. `brand_id`: the brand its tickets get (None: a new connection's default,
    a reconnection's own). The import runs on `deps.jobs` (`connect_import.wait_for_import`)."""
    address = address.lower()
    before = deps.store.get_connection(address)  # a reconnect keeps the SAME connection: the gap comes from history
    deps.refresh_tokens.put(address, refresh_token)  # used at once, also by adapters built before
    with _refused_on_gmail_error(deps, address, forget_token=before is None):
        mailbox = deps.mailbox_for(address)
        history_id = verify_account(mailbox, address)
        setup = prepare_mailbox(mailbox, deps.settings, history_id=history_id, watch=watch)
        plan = plan_import(deps, mailbox, address, before, import_recent=import_recent)
    connection = mark_connected(deps, address, setup, brand_id=brand_id, testing_client=testing_client,
                                import_total=plan.total)
    ensure_support_address(deps, address, connection.brand_id, rebrand=brand_id is not None)
    log.info("mailbox connected", extra={"connection": address, "reconnect": before is not None,
                                         "import": plan.total or 0, "import_recent": import_recent})
    deps.jobs.submit(import_job_name(address), plan.job)  # a thread on one machine, inline in a function
    return deps.store.get_connection(address) or connection


# --------------------------------------------------------------------------- the steps


def verify_account(mailbox: Mailbox, address: str) -> int:
    """The account's current history id, once it is sure the token opens `address` and no other account."""
    profile = mailbox.profile()  # the cursor, BEFORE anything is listed or imported
    if profile.email_address.lower() != address:
        raise ConnectRefused(said(
            "Google signed in %(chosen)s, not %(address)s: on Google's page choose %(address)s (or sign out of the "
            "other account in the browser) and connect again.", chosen=profile.email_address, address=address))
    return profile.history_id


def prepare_mailbox(mailbox: Mailbox, settings: Settings, *, history_id: int, watch: bool) -> MailboxSetup:
    """Our label (created when missing) and, where Gmail can push to us, the watch."""
    label_id = mailbox.ensure_label(settings.label_name)
    expiration = mailbox.watch(settings.push_topic).expiration if watch else None
    return MailboxSetup(history_id=history_id, label_id=label_id, watch_expiration=expiration)


def plan_import(deps: Deps, mailbox: Mailbox, address: str, before: Connection | None, *,
                import_recent: bool) -> ImportPlan:
    """A new connection: the newest inbox mails (read or not), or the unread mail of the initial look-back,
    oldest first so threads form in arrival order. A reconnection: the gap since it last synced or was
    disconnected, from its kept cursor."""
    if before is not None:
        marks = [t for t in (before.last_sync_at, before.disconnected_at) if t is not None]
        return ImportPlan(gap_sync_job(deps, address, min(marks) if marks else before.created_at), total=None)
    if import_recent:
        refs = mailbox.list_messages(label_ids=[inbox_rules.INBOX], limit=IMPORT_RECENT_LIMIT)
    else:
        since = int(deps.clock.now().timestamp()) - deps.settings.initial_lookback_seconds
        refs = mailbox.list_messages(inbox_rules.full_sync_query(since))
    ids = [ref.id for ref in refs][: IMPORT_RECENT_LIMIT if import_recent else None]
    ids.reverse()
    mode = IngestMode.IMPORT if import_recent else IngestMode.LIVE  # the 300 newest are history: no acknowledgements
    return ImportPlan(import_job(deps, address, ids, mode), total=len(ids))


def mark_connected(deps: Deps, address: str, setup: MailboxSetup, *, brand_id: str | None, testing_client: bool,
                   import_total: int | None) -> Connection:
    """Create or revive the connection in one transaction. `import_total` None: a reconnect, whose counters and
    cursor stay as they were. A brand given applies to a reconnection too: the admin chose it explicitly."""
    now = deps.clock.now()

    def work(uow: ConnectionUnit) -> Connection:
        connection = uow.get_connection(address)
        if connection is None:
            connection = Connection(address=address, brand_id=brand_id or "default", created_at=now,
                                    account_kind=account_kind_of(address), history_id=setup.history_id,
                                    last_sync_at=now)  # everything before the cursor is the import's job
        elif connection.history_id is None:
            connection.history_id = setup.history_id
        if brand_id is not None:
            connection.brand_id = brand_id
        connection.status = ConnectionStatus.CONNECTED
        connection.last_error = None
        connection.disconnected_at = None
        connection.label_id = setup.label_id
        if setup.watch_expiration is not None:
            connection.watch_expiration = setup.watch_expiration
        connection.warnings = [w for w in connection.warnings if w != TESTING_CLIENT_WARNING]
        if testing_client:
            connection.warnings.append(TESTING_CLIENT_WARNING)
        if import_total is not None:
            connection.import_total, connection.import_done = import_total, 0
        uow.put_connection(connection)
        return connection

    return deps.store.atomically(work)


def ensure_support_address(deps: Deps, address: str, brand_id: str, *, rebrand: bool = False) -> SupportAddress:
    """The connected mailbox's support address; the first address of the helpdesk becomes the default, so
    there is always one to send from. `rebrand`: an existing one takes `brand_id` too."""
    found = deps.store.get_support_addresses([address])  # by key: connecting costs the same at any count
    existing = found[0] if found else None
    if existing is not None:
        if existing.kind != AddressKind.GMAIL_CONNECTOR or (rebrand and existing.brand_id != brand_id):
            existing.kind = AddressKind.GMAIL_CONNECTOR
            existing.brand_id = brand_id if rebrand else existing.brand_id
            deps.store.save_support_address(existing)
        return existing
    first = not deps.store.any_support_address()
    added = SupportAddress(address, brand_id=brand_id, is_default=first, kind=AddressKind.GMAIL_CONNECTOR)
    deps.store.save_support_address(added)
    deps.own_addresses.forget(address)
    return added


def account_kind_of(address: str) -> AccountKind:
    """Consumer accounts live on gmail.com; a Gmail mailbox on any other domain is Google Workspace."""
    return AccountKind.GMAIL if dns_records.is_consumer(address) else AccountKind.WORKSPACE


@contextmanager
def _refused_on_gmail_error(deps: Deps, address: str, *, forget_token: bool) -> Iterator[None]:
    """A Gmail error while setting up becomes a refusal the admin can act on. A new connection's token is not
    kept: nothing else of it was stored yet."""
    try:
        yield
    except GmailTicketsError as exc:
        if forget_token:
            deps.refresh_tokens.delete(address)
        if isinstance(exc, ConnectRefused):
            raise
        log.warning("connect failed", extra={"connection": address, "error": type(exc).__name__})
        raise ConnectRefused(said("Gmail refused to set up %(address)s (%(error)s). Try again.", address=address,
                                  error=type(exc).__name__)) from None
