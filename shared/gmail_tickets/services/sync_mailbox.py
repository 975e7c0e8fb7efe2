"""The one path for push and sweep: read what changed in a mailbox since the stored cursor and record it.

Order of effects, and why it is safe to crash between any two:
  1. take the mailbox's lease (one sync at a time; a caller who finds it taken leaves a "look again" mark), and
     renew it while the sync runs (services/heartbeat.py: a short lease, so a dead holder stalls the mailbox for
     at most one lease; a lost lease stops the sync between pages and chunks, see below);
  2. history.list from the STORED cursor (never from the notified id);
  3. drop candidates the ledger already holds, fetch the rest raw, record each in its own transaction;
  4. label what we recorded (a courtesy for the mailbox owner: safe to repeat, safe to miss);
  5. advance the cursor, monotonically, to what has been committed.
A crash before 5 replays some changes next time; the ledger turns every replay into a no-op. That is also why a
sync whose lease was taken over may simply stop at its next safe point (before each page and chunk): the new
holder replays from the stored cursor, and whatever both touched is recorded once.

A caller that finds the lease busy returns "busy"; the first one while nobody watches the lease also gets
`come_back_after` (seconds to the lease's expiry, plus a margin: domain/lease.py). The embedded runtime brings that
event back then, so a mailbox whose holder died is synced again about one lease later even if no mail comes; in
the cloud the busy event is acked and the one-minute sweep is the backstop (Pub/Sub cannot delay a redelivery).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from gmail_tickets.domain import inbox_rules
from gmail_tickets.domain.burst import BurstPolicy
from gmail_tickets.domain.ingest_context import IngestContext, IngestMode
from gmail_tickets.domain.model import Connection, ConnectionStatus
from gmail_tickets.errors import HistoryExpired, MailboxError, TokenRevoked
from gmail_tickets.ports import ConnectionUnit, Mailbox, MessageMeta, RawMessage
from gmail_tickets.services import oversize
from gmail_tickets.services.connection_health import mark_connection
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.heartbeat import Heartbeat, LeaseLost
from gmail_tickets.services.ingest_values import GmailIds, Recorded
from gmail_tickets.services.record_mail import record_mail

log = logging.getLogger(__name__)

COME_BACK_MARGIN = 1.0  # seconds after the busy lease's expiry: it has lapsed by then unless renewed
Checkpoint = Callable[[], None]  # raises LeaseLost at a safe point once the lease was taken over


def _no_checkpoint() -> None:
    """Work under no lease (the initial import): nothing to check."""


@dataclass
class SyncResult:
    address: str
    status: str = "synced"  # synced | busy (lease held elsewhere) | lost (taken over) | unknown | disconnected | failed
    outcomes: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0  # candidates the ledger already had
    gone: int = 0  # candidates deleted, or moved to spam or trash, before we could fetch them
    full_sync: bool = False
    cursor: int | None = None
    recorded: list[Recorded] = field(default_factory=list)
    come_back_after: float | None = None  # busy, and this caller watches the lease: look again after this long

    def merge(self, other: SyncResult) -> None:
        self.outcomes.update(other.outcomes)
        self.duplicates += other.duplicates
        self.gone += other.gone
        self.full_sync = self.full_sync or other.full_sync
        self.cursor = other.cursor if other.cursor is not None else self.cursor
        self.recorded.extend(other.recorded)


def sync_mailbox(deps: Deps, address: str) -> SyncResult:
    """Sync one mailbox now. Raises TransientError subclasses for the caller to retry; records the rest."""
    connection = deps.store.get_connection(address)
    if connection is None:
        return SyncResult(address, status="unknown")
    if not connection.is_active:
        return SyncResult(address, status="disconnected")
    key = f"sync:{address}"
    holder = f"{deps.holder}/{uuid.uuid4().hex[:12]}"  # each invocation its own holder, even in one process
    lease_seconds = deps.settings.lease_seconds
    now = deps.clock.now()
    taken = deps.store.take_lease(key, holder, now, lease_seconds)
    if not taken.taken:
        after = None if taken.come_back_at is None else (taken.come_back_at - now).total_seconds() + COME_BACK_MARGIN
        return SyncResult(address, status="busy", come_back_after=after)
    total = SyncResult(address)
    heartbeat = Heartbeat(lambda: deps.store.renew_lease(key, holder, deps.clock.now(), lease_seconds),
                          lease_seconds, name=key)
    try:
        with heartbeat:
            while True:
                total.merge(_sync_once(deps, address, heartbeat.check))
                if not deps.store.release_lease(key, holder):
                    break  # nobody asked us to look again
    except LeaseLost:
        log.warning("sync lease taken over; stopping here", extra={"connection": address})
        total.status = "lost"
    except TokenRevoked as exc:
        mark_connection(deps, address, ConnectionStatus.DISCONNECTED, f"Google access was revoked: {exc}")
        total.status = "disconnected"
    except MailboxError as exc:
        mark_connection(deps, address, ConnectionStatus.ERROR, f"Gmail refused: {exc}")
        total.status = "failed"
    finally:
        while deps.store.release_lease(key, holder):
            pass  # free the lease even when a look-again mark arrived while we were failing
    return total


def _sync_once(deps: Deps, address: str, checkpoint: Checkpoint) -> SyncResult:
    connection = deps.store.get_connection(address)
    if connection is None or not connection.is_active:
        return SyncResult(address, status="disconnected")
    mailbox = deps.mailbox_for(address)
    if connection.label_id is None:
        connection.label_id = _remember_label(deps, address, mailbox.ensure_label(deps.settings.label_name))
    if connection.history_id is None:
        return _full_sync(deps, connection, mailbox, checkpoint)
    result = SyncResult(address)
    ctx: IngestContext | None = None  # read when the first candidate shows: a sync with nothing new reads no more
    try:
        for page in mailbox.history(connection.history_id, history_types=inbox_rules.CANDIDATE_KINDS):
            checkpoint()
            ids = [
                r.message.id
                for r in page.records
                if inbox_rules.is_candidate_change(r.kind, r.label_ids, r.changed_label_ids)
            ]
            if ids:
                ctx = ctx or ingest_context(deps, connection)
                result.merge(_import(deps, ctx, mailbox, ids, checkpoint))
            # Committed up to this page: the last record's id is a safe cursor; the last page gives the newest.
            newest = page.history_id or max((r.history_id for r in page.records), default=None)
            if newest is not None:
                result.cursor = _advance_cursor(deps, address, newest)
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
    result = (_import(deps, ingest_context(deps, connection), mailbox, ids, checkpoint) if ids
              else SyncResult(connection.address))
    result.full_sync = True
    result.cursor = _advance_cursor(deps, connection.address, cursor)
    return result


def import_messages(deps: Deps, address: str, ids: Iterable[str], *, mode: IngestMode = IngestMode.LIVE) -> SyncResult:
    """Import the given message ids now (the initial import on connect, a reconnect's gap). Deduplicated by the
    ledger. IMPORT mode: the tickets are history brought in on connect, so ticket triggers must not fire."""
    connection = deps.store.get_connection(address)
    if connection is None:
        return SyncResult(address, status="unknown")
    mailbox = deps.mailbox_for(address)
    wanted = list(ids)
    return _import(deps, ingest_context(deps, connection, mode), mailbox, wanted) if wanted else SyncResult(address)


def ingest_context(deps: Deps, connection: Connection, mode: IngestMode = IngestMode.LIVE) -> IngestContext:
    """What every mail of this sync or import is judged by, read once: our own addresses, the brand (a live
    sync's acknowledgements need it), the auto-mail settings."""
    settings = deps.settings
    ours = {a.address.lower() for a in deps.store.list_support_addresses()} | {connection.address.lower()}
    return IngestContext(
        connection=connection,
        ours=frozenset(ours),
        mode=mode,
        brand=None if mode is IngestMode.IMPORT else deps.brands.get(deps.store, connection.brand_id),
        burst=BurstPolicy(settings.burst_threshold, timedelta(seconds=settings.burst_window_seconds),
                          settings.burst_domain_threshold),
        list_mail_is_bulk=settings.list_mail_is_bulk,
    )


def _import(deps: Deps, ctx: IngestContext, mailbox: Mailbox, ids: Iterable[str],
            checkpoint: Checkpoint = _no_checkpoint) -> SyncResult:
    connection = ctx.connection
    result = SyncResult(connection.address)
    wanted = list(dict.fromkeys(ids))
    step = deps.settings.fetch_chunk
    for start in range(0, len(wanted), step):
        checkpoint()
        chunk = wanted[start : start + step]
        known = deps.store.ledger_contains(connection.address, chunk)
        result.duplicates += len(known)
        fresh = [i for i in chunk if i not in known]
        big = _too_big(deps, connection, mailbox, fresh)
        fetched = mailbox.get_raw([i for i in fresh if i not in big]) if len(fresh) > len(big) else {}
        metas = mailbox.get_meta(sorted(big), headers=oversize.HEADERS) if big else {}
        to_label = list(known)
        for message_id in fresh:
            recorded = _record_one(deps, ctx, fetched.get(message_id), metas.get(message_id))
            if recorded is None:
                result.gone += 1
                continue
            if recorded.outcome is None:
                result.duplicates += 1
            else:
                result.outcomes[recorded.outcome.value] += 1
                result.recorded.append(recorded)
            to_label.append(message_id)
        if to_label and connection.label_id:
            try:
                mailbox.modify_labels(to_label, add=[connection.label_id])
            except MailboxError as exc:  # the label is a courtesy; the ledger is the truth
                log.warning("labelling failed", extra={"connection": connection.address, "error": str(exc)})
    return result


def _record_one(deps: Deps, ctx: IngestContext, message: RawMessage | None,
                meta: MessageMeta | None) -> Recorded | None:
    """Record one candidate; None when it is gone from Gmail or went to spam or trash before we got to it."""
    if meta is not None:  # known to be too big: never downloaded
        if not inbox_rules.still_wanted(meta.label_ids):
            return None
        ids = GmailIds(meta.id, meta.thread_id, meta.internal_date)
        return oversize.record_oversize(deps, ctx, ids, meta.headers, meta.size_estimate)
    if message is None or not inbox_rules.still_wanted(message.label_ids):
        return None
    size = max(message.size_estimate, len(message.raw))
    if size > deps.settings.max_message_bytes:  # the search missed it; still not imported
        ids = GmailIds(message.id, message.thread_id, message.internal_date)
        return oversize.record_oversize(deps, ctx, ids, oversize.header_block(message.raw), size)
    return record_mail(deps, ctx, message)


def _too_big(deps: Deps, connection: Connection, mailbox: Mailbox, fresh: list[str]) -> set[str]:
    """Which candidates are over the size limit, known BEFORE downloading them: one search per step (5 quota
    units for the lot, where a size check per mail would cost 5 each). Mail the search misses (Gmail's index
    can lag) is caught by its sizeEstimate after fetching."""
    if not fresh:
        return set()
    since = (connection.last_sync_at or deps.clock.now()).timestamp() - 2 * 86400
    query = f"larger:{deps.settings.max_message_bytes} after:{int(since)}"
    return {ref.id for ref in mailbox.list_messages(query)} & set(fresh)


def _remember_label(deps: Deps, address: str, label_id: str) -> str:
    """Store the label id without overwriting fields others may have changed (the sweep renews watches)."""

    def work(uow: ConnectionUnit) -> None:
        connection = uow.get_connection(address)
        if connection is not None and connection.label_id != label_id:
            connection.label_id = label_id
            uow.put_connection(connection)

    deps.store.atomically(work)
    return label_id


def _advance_cursor(deps: Deps, address: str, history_id: int) -> int | None:
    """Move the cursor forward only, and note the successful sync."""
    now = deps.clock.now()

    def work(uow: ConnectionUnit) -> int | None:
        connection = uow.get_connection(address)
        if connection is None:
            return None
        if connection.history_id is None or history_id > connection.history_id:
            connection.history_id = history_id
        connection.last_sync_at = now
        if connection.status == ConnectionStatus.ERROR:
            connection.status = ConnectionStatus.CONNECTED
        connection.last_error = None
        uow.put_connection(connection)
        return connection.history_id

    return deps.store.atomically(work)

