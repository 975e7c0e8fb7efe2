"""Recording a batch of a mailbox's candidate mail in order, and what a sync reports: shared by the sync (push and
sweep) and the connect-time import. Each mail is recorded in its own transaction (services/record_mail.py); a mail
whose documents stay locked is held back with its thread (DocumentsLocked), see services/sync_mailbox.py."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from gmail_tickets.domain import inbox_rules
from gmail_tickets.domain.ingest_context import IngestContext
from gmail_tickets.domain.model import Connection
from gmail_tickets.errors import DocumentsLocked
from gmail_tickets.ports import Mailbox, MessageMeta, RawMessage
from gmail_tickets.services import mail_blobs, mail_lanes, oversize
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.ingest_values import GmailIds, Recorded
from gmail_tickets.services.record_mail import record_mail

log = logging.getLogger(__name__)

Checkpoint = Callable[[], None]  # raises LeaseLost at a safe point once the lease was taken over


def no_checkpoint() -> None:
    """Work under no lease (the initial import): nothing to check."""


@dataclass
class SyncResult:
    address: str
    # synced | held (some mail held back: sync_mailbox.py) | busy (lease held elsewhere) | lost (taken over) | unknown |
    # disconnected | failed | stale (a push the stored cursor had passed: services/ingest.py)
    status: str = "synced"
    outcomes: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0  # candidates the ledger already had
    gone: int = 0  # candidates deleted, or moved to spam or trash, before we could fetch them
    full_sync: bool = False
    cursor: int | None = None
    recorded: list[Recorded] = field(default_factory=list)
    come_back_after: float | None = None  # busy and this caller watches the lease, or held: look again after this
    held: list[str] = field(default_factory=list)  # Gmail ids held back: their documents were locked
    held_threads: set[str] = field(default_factory=set)  # their threads: nothing later of them is recorded yet
    to_label: list[str] = field(default_factory=list)  # recorded (now or before): owed the courtesy label

    def merge(self, other: SyncResult) -> None:
        self.outcomes.update(other.outcomes)
        self.duplicates += other.duplicates
        self.gone += other.gone
        self.full_sync = self.full_sync or other.full_sync
        self.cursor = other.cursor if other.cursor is not None else self.cursor
        self.recorded.extend(other.recorded)
        self.held.extend(other.held)
        self.held_threads |= other.held_threads
        self.to_label.extend(other.to_label)


def import_batch(deps: Deps, ctx: IngestContext, mailbox: Mailbox, ids: Iterable[str],
                 checkpoint: Checkpoint = no_checkpoint, held_threads: set[str] | None = None,
                 size_checked: set[str] | None = None) -> SyncResult:
    """Record `ids` in order; what is recorded is listed in `to_label` (the caller labels it: owed_labels.py).
    `held_threads`: threads an earlier page of this sync held back, whose later mail waits too. `size_checked`:
    the ids this sync already knows to be too big, when it searched once for all its pages (else one search
    here)."""
    connection = ctx.connection
    result = SyncResult(connection.address)
    result.held_threads |= held_threads or set()
    wanted = list(dict.fromkeys(ids))
    step = deps.settings.fetch_chunk
    for start in range(0, len(wanted), step):
        checkpoint()
        chunk = wanted[start : start + step]
        known = deps.store.ledger_contains(connection.address, chunk)
        result.duplicates += len(known)
        fresh = [i for i in chunk if i not in known]
        big = (size_checked & set(fresh)) if size_checked is not None else too_big(deps, connection, mailbox, fresh)
        fetched = mailbox.get_raw([i for i in fresh if i not in big]) if len(fresh) > len(big) else {}
        metas = mailbox.get_meta(sorted(big), headers=oversize.HEADERS) if big else {}
        result.to_label.extend(known)
        kept = _keep_raws(deps, ctx, fetched)
        for lane in _record_lanes(deps, ctx, fresh, fetched, metas, result.held_threads, kept):
            result.merge(lane)
    return result


def _keep_raws(deps: Deps, ctx: IngestContext, fetched: Mapping[str, RawMessage | None]) -> set[str]:
    """The raw bytes of the chunk's mails that will be recorded (`_record_one`: still wanted, not too big), kept
    before any of them is: durable before any ledger entry commits, for one folder sync for the chunk."""
    limit = deps.settings.max_message_bytes
    keep = [m for m in fetched.values() if m is not None and inbox_rules.still_wanted(m.label_ids)
            and max(m.size_estimate, len(m.raw)) <= limit]
    mail_blobs.keep_raws(deps.blobs, ctx.address, [(m.id, m.raw) for m in keep])
    return {m.id for m in keep}


def _record_lanes(deps: Deps, ctx: IngestContext, fresh: list[str], fetched: Mapping[str, RawMessage | None],
                  metas: Mapping[str, MessageMeta | None], held_threads: set[str],
                  kept: set[str]) -> list[SyncResult]:
    """The chunk's mails in steps of lanes (services/mail_lanes.py): mail that must go one after another shares a
    lane; up to `sync_mail_workers` lanes of a step go side by side, since a mail's wall time is mostly round trips
    to the store. Each lane sees the threads held back before it; a failing lane fails the sync once the others of
    its step end (the ledger makes the replay a no-op for what they recorded)."""
    workers = deps.settings.sync_mail_workers
    if workers <= 1 or len(fresh) <= 1:
        return [_record_lane(deps, ctx, fresh, fetched, metas, held_threads, kept)]
    results: list[SyncResult] = []
    held = set(held_threads)
    with ThreadPoolExecutor(workers, thread_name_prefix="sync-lane") as pool:
        for step in mail_lanes.steps(fresh, fetched, metas, deps.tokens.is_ours):
            futures = [pool.submit(_record_lane, deps, ctx, ids, fetched, metas, set(held), kept) for ids in step]
            done = [future.result() for future in futures]
            for lane in done:
                held |= lane.held_threads
            results += done
    return results


def _record_lane(deps: Deps, ctx: IngestContext, ids: list[str], fetched: Mapping[str, RawMessage | None],
                 metas: Mapping[str, MessageMeta | None], held_threads: set[str], kept: set[str]) -> SyncResult:
    """Record `ids` in order. `held_threads`: threads held back already, whose later mail waits too."""
    address = ctx.connection.address
    result = SyncResult(address)
    result.held_threads |= held_threads
    for message_id in ids:
        message, meta = fetched.get(message_id), metas.get(message_id)
        thread = message.thread_id if message is not None else meta.thread_id if meta is not None else None
        try:
            if thread is not None and thread in result.held_threads:
                raise DocumentsLocked("an earlier mail of its thread is held back")
            if deps.held_mail.recently_held(address, message_id):
                raise DocumentsLocked("held back moments ago; its documents are most likely still locked")
            recorded = _record_one(deps, ctx, message, meta, kept)
        except DocumentsLocked as exc:
            deps.held_mail.remember(address, message_id)
            log.warning("mail held back", extra={"connection": address, "gmail_id": message_id,
                                                 "error": str(exc)})
            result.held.append(message_id)
            if thread is not None:
                result.held_threads.add(thread)
            continue
        if recorded is None:
            result.gone += 1
            continue
        if recorded.outcome is None:
            result.duplicates += 1
        else:
            result.outcomes[recorded.outcome.value] += 1
            result.recorded.append(recorded)
        result.to_label.append(message_id)
    return result


def _record_one(deps: Deps, ctx: IngestContext, message: RawMessage | None, meta: MessageMeta | None,
                kept: set[str]) -> Recorded | None:
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
    return record_mail(deps, ctx, message, raw_kept=message.id in kept)


def too_big(deps: Deps, connection: Connection, mailbox: Mailbox, fresh: list[str]) -> set[str]:
    """Which candidates are over the size limit, known BEFORE downloading them: one search per step (5 quota
    units for the lot, where a size check per mail would cost 5 each). Mail the search misses (Gmail's index
    can lag) is caught by its sizeEstimate after fetching."""
    if not fresh:
        return set()
    return oversize_ids(deps, connection, mailbox) & set(fresh)


def oversize_ids(deps: Deps, connection: Connection, mailbox: Mailbox) -> set[str]:
    """The recent mail Gmail's search knows to be over the size limit: one messages.list (5 units)."""
    since = (connection.last_sync_at or deps.clock.now()).timestamp() - 2 * 86400
    query = f"larger:{deps.settings.max_message_bytes} after:{int(since)}"
    return {ref.id for ref in mailbox.list_messages(query)}
