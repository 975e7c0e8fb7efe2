"""The one path for push and sweep: read what changed in a mailbox since the stored cursor and record it.

Order of effects, and why it is safe to crash between any two:
  1. take the mailbox's lease (one sync at a time; a caller who finds it taken leaves a "look again" mark), and
     renew it while the sync runs (services/heartbeat.py: a short lease, so a dead holder stalls the mailbox for
     at most one lease; a lost lease stops the sync between pages and chunks, see below);
  2. history.list from the STORED cursor (never from the notified id);
  3. drop candidates the ledger already holds, fetch the rest raw, record each in its own transaction;
  4. label what we recorded (a courtesy for the mailbox owner: safe to repeat, safe to miss);
  5. advance the cursor, monotonically, to what has been committed.
A mail whose documents stay locked (DocumentsLocked: a killed process's transaction holds them until it idles
out) is held back with the rest of its Gmail thread, so a reply is never recorded before the mail it answers; the
others are recorded, the cursor stops before the held mail, and the sync ends "held": the event comes back for it.
A crash before 5 replays some changes next time; the ledger turns every replay into a no-op. That is also why a
sync whose lease was taken over may simply stop at its next safe point (before each page and chunk): the new
holder replays from the stored cursor, and whatever both touched is recorded once.

History that names no candidate (our own sent mail: Gmail pushes it whatever the watch's INBOX filter; drafts,
label changes) is passed over without the lease while nobody holds it: the cursor moves past it, nothing is
recorded, one write instead of the lease's two and the cursor's (`_pass_over`). The history page read to find that
out is the first page of the sync that takes the lease otherwise, so it is never asked for twice.

A caller that finds the lease busy returns "busy"; the first one while nobody watches the lease also gets
`come_back_after` (seconds to the lease's expiry, plus a margin: domain/lease.py). The embedded runtime brings that
event back then (services/ingest.py raises ComeBackLater), so a mailbox whose holder died is synced again about
one lease later even if no mail comes: on a timer in the embedded runtime, by Pub/Sub's first redelivery backoff
(10 s) in the cloud. Every other busy event is acknowledged: the holder's look-again mark covers it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta

from gmail_tickets.domain import inbox_rules
from gmail_tickets.domain.burst import BurstPolicy
from gmail_tickets.domain.ingest_context import IngestContext, IngestMode
from gmail_tickets.domain.model import Connection, ConnectionStatus
from gmail_tickets.errors import HistoryExpired, MailboxError, TokenRevoked
from gmail_tickets.ports import ConnectionUnit, HistoryPage, Mailbox
from gmail_tickets.services import owed_labels
from gmail_tickets.services.connection_health import mark_connection
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.heartbeat import Heartbeat, LeaseLost
from gmail_tickets.services.import_batch import Checkpoint, SyncResult, import_batch, oversize_ids

log = logging.getLogger(__name__)

COME_BACK_MARGIN = 1.0  # seconds after the busy lease's expiry: it has lapsed by then unless renewed
HELD_COME_BACK = 5.0  # seconds before a sync that held back locked mail looks again
def sync_mailbox(deps: Deps, address: str, *, event_id: str | None = None) -> SyncResult:
    """Sync one mailbox now. Raises TransientError subclasses for the caller to retry; records the rest.
    `event_id`: the event's id across its redeliveries, so one that watches a busy lease goes on watching it."""
    return sync_connection(deps, address, deps.store.get_connection(address), event_id=event_id)


def sync_connection(deps: Deps, address: str, connection: Connection | None, *,
                    event_id: str | None = None) -> SyncResult:
    """`sync_mailbox` with the connection its caller has just read (services/ingest.py: a push costs one read).
    The first run under the lease starts from it: a cursor moved meanwhile by another sync only replays what the
    ledger skips, and what it owes is merged with the stored list when the cursor moves."""
    if connection is None:
        return SyncResult(address, status="unknown")
    if not connection.is_active:
        return SyncResult(address, status="disconnected")
    key = f"sync:{address}"
    first: HistoryPage | None = None
    if connection.history_id is not None and connection.label_id is not None and not deps.store.lease_held(
            key, deps.clock.now()):
        try:
            first = _first_page(deps, connection)
        except (TokenRevoked, MailboxError) as exc:
            return SyncResult(address, status=_refused(deps, address, exc))
        if first is not None and not _names_candidates(first):
            return _pass_over(deps, connection, first)
    holder = f"{deps.holder}/{uuid.uuid4().hex[:12]}"  # each invocation its own holder, even in one process
    lease_seconds = deps.settings.lease_seconds
    now = deps.clock.now()
    taken = deps.store.take_lease(key, holder, now, lease_seconds, watcher=event_id)
    if not taken.taken:
        after = None if taken.come_back_at is None else (taken.come_back_at - now).total_seconds() + COME_BACK_MARGIN
        return SyncResult(address, status="busy", come_back_after=after)
    total = SyncResult(address)
    heartbeat = Heartbeat(lambda: deps.store.renew_lease(key, holder, deps.clock.now(), lease_seconds),
                          lease_seconds, name=key)
    try:
        with heartbeat:
            read: Connection | None = connection
            while True:
                run = _sync_once(deps, address, heartbeat.check, read, first)
                read, first = None, None  # a look-again run reads the connection and history anew
                total.merge(run)
                total.held = run.held  # what the last run still holds back (an earlier run's may be recorded now)
                if not deps.store.release_lease(key, holder):
                    break  # nobody asked us to look again
    except LeaseLost:
        log.warning("sync lease taken over; stopping here", extra={"connection": address})
        total.status = "lost"
    except (TokenRevoked, MailboxError) as exc:
        total.status = _refused(deps, address, exc)
    finally:
        while deps.store.release_lease(key, holder):
            pass  # free the lease even when a look-again mark arrived while we were failing
    if total.held and total.status == "synced":
        total.status, total.come_back_after = "held", HELD_COME_BACK
    return total


def _refused(deps: Deps, address: str, exc: TokenRevoked | MailboxError) -> str:
    """Mark the connection for what Gmail answered; the sync's status."""
    if isinstance(exc, TokenRevoked):
        mark_connection(deps, address, ConnectionStatus.DISCONNECTED, f"Google access was revoked: {exc}")
        return "disconnected"
    mark_connection(deps, address, ConnectionStatus.ERROR, f"Gmail refused: {exc}")
    return "failed"


def _first_page(deps: Deps, connection: Connection) -> HistoryPage | None:
    """History from the stored cursor when it fits one page (None: more pages, or expired: the lease's sync)."""
    assert connection.history_id is not None
    pages = deps.mailbox_for(connection.address).history(connection.history_id,
                                                         history_types=inbox_rules.CANDIDATE_KINDS)
    try:
        page = next(iter(pages), None)
    except HistoryExpired:
        return None
    return page if page is not None and page.history_id is not None else None


def _names_candidates(page: HistoryPage) -> bool:
    return any(inbox_rules.is_candidate_change(r.kind, r.label_ids, r.changed_label_ids) for r in page.records)


def _pass_over(deps: Deps, connection: Connection, page: HistoryPage) -> SyncResult:
    """Move the cursor past history that names no candidate, without the lease: nothing is recorded and the
    cursor only moves forward, so a sync under the lease meanwhile loses nothing. Owed labels that are due are
    put on, as at the end of any sync (a second sync putting them on too changes nothing)."""
    assert page.history_id is not None
    result = SyncResult(connection.address)
    labelled = label_recorded(deps, connection, deps.mailbox_for(connection.address), [])
    result.cursor = _advance_cursor(deps, connection, page.history_id, set(labelled))
    return result


def _sync_once(deps: Deps, address: str, checkpoint: Checkpoint, read: Connection | None,
               first: HistoryPage | None = None) -> SyncResult:
    """`first`: history's only page, already read from `read`'s cursor (sync_connection), else None: read it."""
    connection = read or deps.store.get_connection(address)
    if connection is None or not connection.is_active:
        return SyncResult(address, status="disconnected")
    mailbox = deps.mailbox_for(address)
    if connection.label_id is None:
        connection.label_id = _remember_label(deps, address, mailbox.ensure_label(deps.settings.label_name))
    if connection.history_id is None:
        return _full_sync(deps, connection, mailbox, checkpoint)
    result = SyncResult(address)
    ctx: IngestContext | None = None  # read when the first candidate shows: a sync with nothing new reads no more
    oversize: set[str] | None = None  # one size search per sync, not per page (5 units each)
    labelled: set[str] = set()  # no longer owed the label: taken off the stored list when the cursor moves
    try:
        pages = [first] if first is not None else mailbox.history(connection.history_id,
                                                                  history_types=inbox_rules.CANDIDATE_KINDS)
        for page in pages:
            checkpoint()
            ids = [
                r.message.id
                for r in page.records
                if inbox_rules.is_candidate_change(r.kind, r.label_ids, r.changed_label_ids)
            ]
            to_label: list[str] = []
            if ids:
                ctx = ctx or ingest_context(deps, connection)
                oversize = oversize if oversize is not None else oversize_ids(deps, connection, mailbox)
                batch = import_batch(deps, ctx, mailbox, ids, checkpoint, result.held_threads, oversize)
                result.merge(batch)
                to_label = batch.to_label
            labelled.update(label_recorded(deps, connection, mailbox, to_label))  # owed before the cursor moves
            # Committed up to this page: the last record's id is a safe cursor; the last page gives the newest.
            # Not past a held mail: the next sync replays from before it (the ledger skips what is recorded).
            newest = page.history_id or max((r.history_id for r in page.records), default=None)
            if newest is not None and not result.held:
                result.cursor = _advance_cursor(deps, connection, newest, labelled)
    except HistoryExpired:
        log.info("history expired, full sync", extra={"connection": address})
        result.merge(_full_sync(deps, connection, mailbox, checkpoint))
    return result


def _full_sync(deps: Deps, connection: Connection, mailbox: Mailbox, checkpoint: Checkpoint) -> SyncResult:
    """No usable cursor: take the mailbox's current id FIRST (so nothing arriving meanwhile is missed), then
    import unread inbox mail since a little before the last sync, deduplicated by the ledger."""
    cursor = mailbox.profile().history_id
    settings = deps.settings
    if connection.last_sync_at is not None:
        since = connection.last_sync_at.timestamp() - settings.full_sync_margin_seconds
    else:
        since = deps.clock.now().timestamp() - settings.initial_lookback_seconds
    query = inbox_rules.full_sync_query(int(since))
    ids = [ref.id for ref in mailbox.list_messages(query)]
    ids.reverse()  # oldest first, so threads form in arrival order
    result = (import_batch(deps, ingest_context(deps, connection), mailbox, ids, checkpoint) if ids
              else SyncResult(connection.address))
    labelled = set(label_recorded(deps, connection, mailbox, result.to_label))
    result.full_sync = True
    if not result.held:  # else the next sync is a full sync again, and the ledger skips what this one recorded
        result.cursor = _advance_cursor(deps, connection, cursor, labelled)
    return result


def import_messages(deps: Deps, address: str, ids: Iterable[str], *, mode: IngestMode = IngestMode.LIVE,
                    held_threads: set[str] | None = None) -> SyncResult:
    """Import the given message ids now (the initial import on connect, a reconnect's gap). Deduplicated by the
    ledger. IMPORT mode: the tickets are history brought in on connect, so ticket triggers must not fire.
    `held_threads`: threads an earlier batch held back; the result's `held` lists what this one held back."""
    connection = deps.store.get_connection(address)
    if connection is None:
        return SyncResult(address, status="unknown")
    mailbox = deps.mailbox_for(address)
    wanted = list(ids)
    if not wanted:
        return SyncResult(address)
    result = import_batch(deps, ingest_context(deps, connection, mode), mailbox, wanted, held_threads=held_threads)
    owed_labels.put_on(address, connection.label_id, mailbox, result.to_label)  # no cursor to owe it with: now
    return result


def label_recorded(deps: Deps, connection: Connection, mailbox: Mailbox, ids: list[str]) -> list[str]:
    """Owe the recorded mail its courtesy label on `connection` (stored with the cursor); put on what is owed
    once enough is, or once it waited long enough (services/owed_labels.py). Returns the ids no longer owed."""
    settings = deps.settings
    return owed_labels.settle(connection, mailbox, ids, batch=settings.label_batch,
                              delay_seconds=settings.label_delay_seconds, now=deps.clock.now())


def ingest_context(deps: Deps, connection: Connection, mode: IngestMode = IngestMode.LIVE) -> IngestContext:
    """What every mail of this sync or import is judged by, read once: the brand (a live sync's
    acknowledgements need it), the auto-mail settings. Of our own addresses only this mailbox's: each mail asks
    about the addresses it names (record_mail.py, services/own_addresses.py), never reading them all."""
    settings = deps.settings
    return IngestContext(
        connection=connection,
        ours=frozenset({connection.address.lower()}),
        mode=mode,
        brand=None if mode is IngestMode.IMPORT else deps.brands.get(deps.store, connection.brand_id),
        burst=BurstPolicy(settings.burst_threshold, timedelta(seconds=settings.burst_window_seconds),
                          settings.burst_domain_threshold),
        list_mail_is_bulk=settings.list_mail_is_bulk,
    )


def _remember_label(deps: Deps, address: str, label_id: str) -> str:
    """Store the label id without overwriting fields others may have changed (the sweep renews watches)."""

    def work(uow: ConnectionUnit) -> None:
        connection = uow.get_connection(address)
        if connection is not None and connection.label_id != label_id:
            connection.label_id = label_id
            uow.put_connection(connection)

    deps.store.atomically(work)
    return label_id


def _advance_cursor(deps: Deps, synced: Connection, history_id: int, labelled: set[str]) -> int | None:
    """Move the cursor forward only, note the successful sync, and store the labels the sync still owes."""
    now = deps.clock.now()

    def work(uow: ConnectionUnit) -> int | None:
        connection = uow.get_connection(synced.address)
        if connection is None:
            return None
        owed_labels.merge_owed(connection, synced, labelled)
        if connection.history_id is None or history_id > connection.history_id:
            connection.history_id = history_id
        connection.last_sync_at = now
        if connection.status == ConnectionStatus.ERROR:
            connection.status = ConnectionStatus.CONNECTED
        connection.last_error = None
        uow.put_connection(connection)
        return connection.history_id

    return deps.store.atomically(work)

