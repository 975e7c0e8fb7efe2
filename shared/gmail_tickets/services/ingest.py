"""Events that say "look at this mailbox now": Gmail's push notifications and the sweep's sync requests.

Both end in the same `sync_mailbox`. The event only names the mailbox (and, from Gmail, the id it reached);
what to import always comes from the stored cursor. An event that can never be handled is quarantined with
its bytes and acknowledged, so it is neither lost nor retried forever.

A push whose id the stored cursor has already reached is stale: everything up to that id is committed (the
cursor only moves past committed mail). It is acknowledged after that one read of the connection, with no
lease and no Gmail call, so the many pushes Gmail sends for one burst cost a read each, not a sync each. An event
that is not stale is synced from that same read (services/sync_mailbox.py, `sync_connection`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from gmail_tickets.domain.model import Connection, QuarantineRecord
from gmail_tickets.errors import ComeBackLater, MailHeldBack, PoisonEvent, TransientError
from gmail_tickets.ports import SetAsideUnit
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.event_body import history_id, json_object
from gmail_tickets.services.sync_mailbox import SyncResult, sync_connection

log = logging.getLogger(__name__)


class HistoryNotCaughtUp(TransientError):
    """Gmail notified a history id that history.list does not show yet: try again shortly."""


@dataclass(frozen=True)
class SyncRequest:
    address: str
    history_id: int | None  # from a Gmail notification; None from the sweep
    source: str  # "push" | "sweep"


def decode_event(data: bytes) -> SyncRequest:
    """The JSON inside a Pub/Sub message: {"emailAddress", "historyId"} from Gmail, or
    {"emailAddress", "source": "sweep"} from our sweep."""
    body = json_object(data)
    address = body.get("emailAddress")
    if not isinstance(address, str) or "@" not in address or len(address) > 320:
        raise PoisonEvent("no emailAddress")
    source = body.get("source", "push")
    if not isinstance(source, str):
        raise PoisonEvent("source is not text")
    return SyncRequest(address.strip().lower(), history_id(body.get("historyId")), source)


def merged_request(waiting: bytes, new: bytes) -> bytes | None:
    """Two requests to sync one mailbox, neither handled yet, as one (the embedded broker coalesces them): a sync
    reads from the stored cursor, so one sync covers both. The sweep's request (no id: never stale) wins, else the
    push naming the later id (what the sync must reach). None (keep both) when either is not a sync request."""
    try:
        first, second = decode_event(waiting), decode_event(new)
    except PoisonEvent:
        return None
    if first.address != second.address:
        return None
    if first.history_id is None:
        return waiting
    if second.history_id is None or second.history_id > first.history_id:
        return new
    return waiting


def ingest_event(deps: Deps, data: bytes, *, event_id: str | None = None) -> SyncResult | None:
    """Handle one event. Returns None for a quarantined (poison) event; raises TransientError to be retried.
    `event_id`: the same for every delivery of the event (Pub/Sub's message id), when the platform gives one."""
    try:
        request = decode_event(data)
    except PoisonEvent as exc:
        quarantine_event(deps, data, str(exc))
        return None
    connection = deps.store.get_connection(request.address)  # the one read: the sync goes on from it
    if is_stale(connection, request):
        log.info("stale notification acknowledged", extra={"connection": request.address,
                                                           "history_id": request.history_id})
        return SyncResult(request.address, status="stale")
    started = time.monotonic()
    try:
        result = sync_connection(deps, request.address, connection, event_id=event_id)
    except TransientError as exc:  # one line per retried event: a stall is then readable in the logs
        log.warning("sync failed; the event comes back", extra={"connection": request.address, "source": request.source,
                                                               "error": f"{type(exc).__name__}: {exc}"})
        raise
    log.info("sync done", extra={"connection": request.address, "source": request.source, "status": result.status,
                                 "outcomes": dict(result.outcomes), "held": len(result.held),
                                 "seconds": round(time.monotonic() - started, 3)})
    if result.status == "unknown":
        log.warning("event for an unknown mailbox acknowledged", extra={"connection": request.address})
    elif result.status == "busy" and result.come_back_after is not None:
        # This event now watches another holder's lease (domain/lease.py): it comes back when the lease can have
        # lapsed, so a holder that died (a SIGKILLed instance) stalls its mailbox about one lease, not until the
        # next sweep. Embedded: a timer at `come_back_after`. Pub/Sub: the subscription's redelivery backoff (10 s
        # at the first failure in production, the lease's length; the emulator's first is ~1 s, then ~15 s); a
        # redelivery that comes before the expiry is known by its id and watches on. A live holder has renewed by
        # then and the event watches once more (its look-again mark makes the holder sync again anyway); other
        # busy events are acknowledged.
        raise ComeBackLater(f"{request.address}: sync lease busy; looking again at its expiry",
                            retry_after=result.come_back_after)
    elif result.status == "held":  # recorded the rest; the event comes back for the held mail (never acked first)
        raise MailHeldBack(f"{request.address}: {len(result.held)} mail(s) held back behind locked documents",
                           retry_after=result.come_back_after)
    elif (
        result.status == "synced"
        and request.history_id is not None
        and result.cursor is not None
        and result.cursor < request.history_id
    ):
        raise HistoryNotCaughtUp(f"{request.address}: notified {request.history_id}, history at {result.cursor}")
    return result


def is_stale(connection: Connection | None, request: SyncRequest) -> bool:
    """A Gmail push the stored cursor (of `connection`, as just read) has already passed. The sweep's requests
    name no id: never stale (they are how a mailbox is looked at without a push)."""
    if request.history_id is None:
        return False
    return (connection is not None and connection.is_active and connection.history_id is not None
            and connection.history_id >= request.history_id)


def quarantine_event(deps: Deps, data: bytes, reason: str) -> None:
    record = QuarantineRecord(
        id="event-" + hashlib.sha256(data).hexdigest()[:24],
        connection=None,
        reason=reason,
        raw=data,
        source="event",
        created_at=deps.clock.now(),
    )

    def work(uow: SetAsideUnit) -> None:
        uow.add_quarantine(record)

    deps.store.atomically(work)
    log.warning("event quarantined", extra={"reason": reason, "quarantine_id": record.id})
