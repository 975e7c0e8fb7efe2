"""What `bench scale`'s active run reports: every counter at one moment (`Mark`), and the figures of a run from
two marks and the ledger (`summary`).

Besides the issue's keys it reports what does not depend on the machine's load, so runs on a shared machine can
be compared: CPU seconds of the product's process per mail, Gmail calls per mail by method, and the ingest events
handled per mail by how they ended (a "synced" one is a sync that ran; "stale" and "busy" ones cost a store read or
a lease attempt, no Gmail call).

Writes are billed at the wire and told apart by where they go: a ticket's own (the records of the mail's commit:
ledger entry, ticket, acknowledgement, and its share of the ticket-number block) and a sync's own (its lease taken,
renewed and released, its cursor), which the mails of one sync share however many there are. `writes_per_ticket`,
issue 18's "store writes per new ticket", is the first; `sync_writes_per_mail` the second, and
`billed_writes_per_ticket` both (what the bill sees per ticket in this run's shape of syncs).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from devstack.bench import IngestOnlyRuntime
from devstack.scale_counters import StoreCounts
from gmail_tickets.domain.model import Outcome
from gmail_tickets.services.ingest import ingest_event

if TYPE_CHECKING:
    from devstack.scale_product import Product

SYNC_KINDS = frozenset({"leases", "leases (delete)", "connections"})
"""Where a sync's own writes go, by Firestore collection or SQLite table (scale_counters.Tally.kinds). A watch
renewal or a connect during the run also writes `connections` and is counted here; every other write is charged
to the tickets (in this bench every mail opens one)."""


class CountingRuntime(IngestOnlyRuntime):
    """The bench's runtime, counting each ingest event by how it ended (its status, or the error it raised)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._events_lock = threading.Lock()
        self.events: Counter[str] = Counter()

    def push(self, address: str, history_id: int | str) -> None:
        self._count("pushes received")
        super().push(address, history_id)

    def _ingest(self, data: bytes) -> None:
        try:
            result = ingest_event(self.deps, data)
        except Exception as exc:
            self._count(type(exc).__name__)
            raise
        self._count("quarantined" if result is None else result.status)

    def _count(self, how: str) -> None:
        with self._events_lock:
            self.events[how] += 1

    def events_now(self) -> Counter[str]:
        with self._events_lock:
            return Counter(self.events)


@dataclass(frozen=True)
class Mark:
    """Every counter at one moment."""

    store: StoreCounts
    kinds: Counter[str]  # writes by collection / table
    records: int  # the store's own write_count (records, as `bench ingest` reports them)
    gmail_units: int
    gmail_calls: Counter[str]  # by method; "batch" is one HTTP round trip carrying several messages.get
    publishes: int
    secret_reads: int
    cpu_s: float  # CPU time of this process (the product, its broker and the bench's threads; not the simulator)
    events: Counter[str]

    @staticmethod
    def take(p: Product) -> Mark:
        counters = p.sim.call("GET", "/counters").values()
        calls: Counter[str] = Counter()
        for mailbox in counters:
            for method, c in mailbox.get("methods", {}).items():
                calls[method] += c["calls"]
        events = p.runtime.events_now() if isinstance(p.runtime, CountingRuntime) else Counter()
        return Mark(p.tally.snapshot(), p.tally.kinds(), p.store.write_count, sum(c["units"] for c in counters), calls,
                    p.broker.published, p.secrets.state.calls.get("AccessSecretVersion", 0), time.process_time(),
                    events)


def per_mail(after: Counter[str], before: Counter[str], mails: int) -> dict[str, float]:
    return {k: round(v / mails, 3) for k, v in sorted((after - before).items())}


def summary(entries: list[Any], before: Mark, after: Mark, total: int, per_mailbox: int, seconds: float,
            started_wall: float) -> dict[str, Any]:
    """Figures of the run. A run that timed out counts the mails that made it, and has no slowest mailbox."""
    done = [e for e in entries if e is not None]
    tickets = sum(1 for e in done if e.outcome == Outcome.TICKET)
    last_by_mailbox: dict[str, float] = {}
    per: dict[str, int] = {}
    for e in done:
        per[e.connection] = per.get(e.connection, 0) + 1
        if e.created_at is not None:
            at = e.created_at.timestamp() - started_wall
            last_by_mailbox[e.connection] = max(last_by_mailbox.get(e.connection, 0.0), at)
    store = after.store - before.store
    kinds = after.kinds - before.kinds
    sync_writes = sum(n for k, n in kinds.items() if k in SYNC_KINDS)
    syncs = sum(v for k, v in (after.events - before.events).items() if k in ("synced", "held"))
    mails = max(1, len(done))  # per mail that made it (a run that timed out has fewer than delivered)
    unfinished = total // max(1, per_mailbox) - sum(1 for n in per.values() if n >= per_mailbox)
    # The last mail's commit, not the poll that saw it, ends the run.
    last = max(last_by_mailbox.values(), default=seconds)
    events = per_mail(after.events, before.events, mails)
    return {
        "mails_per_s": round(len(done) / max(last if not unfinished else seconds, 1e-3), 2),
        "slowest_mailbox_s": None if unfinished else round(last, 2),
        "unfinished_mailboxes": unfinished,
        "gmail_units_per_mail": round((after.gmail_units - before.gmail_units) / mails, 2),
        "writes_per_ticket": round((store.writes - sync_writes) / tickets, 2) if tickets else None,
        "sync_writes_per_mail": round(sync_writes / mails, 3),
        "writes_per_sync": round(sync_writes / syncs, 2) if syncs else None,
        "billed_writes_per_ticket": round(store.writes / tickets, 2) if tickets else None,
        "billed_writes_per_mail": round(store.writes / mails, 3),
        "writes_per_ticket_by_kind": {k: round(n / tickets, 3) for k, n in sorted(kinds.items())} if tickets else None,
        "mails": total, "ledgered": len(done), "tickets": tickets, "seconds": round(seconds, 2),
        "records_per_ticket": round((after.records - before.records) / tickets, 2) if tickets else None,
        "publishes_per_mail": round((after.publishes - before.publishes) / mails, 2),
        "reads_per_mail": round(store.reads / mails, 2),
        "round_trips_per_mail": round(store.round_trips / mails, 2),  # Firestore: calls to the server
        "commits_per_mail": round(store.transactions / mails, 2),
        "aborted_commits": store.aborted,
        "deletes_per_mail": round(store.deletes / mails, 2),
        "secret_reads_per_mail": round((after.secret_reads - before.secret_reads) / mails, 3),
        "cpu_s_per_mail": round((after.cpu_s - before.cpu_s) / mails, 4),
        "syncs_per_mail": round(sum(v for k, v in events.items() if k in ("synced", "held")), 3),
        "gmail_calls_per_mail": round(sum((after.gmail_calls - before.gmail_calls).values()) / mails, 3),
        "gmail_calls_by_method": per_mail(after.gmail_calls, before.gmail_calls, mails),
        "events_per_mail": events,
    }
