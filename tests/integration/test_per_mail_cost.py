"""What one mail costs, counted on real parts (simulator over HTTP, SQLite and the Firestore emulator): store
writes per new ticket, Gmail quota units per mail over a sync of about twenty, and that connecting one more
mailbox reads no more support addresses when there are many already (issue 18's per-mail bars)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest

from devstack.emulators import Emulator
from devstack.scale_counters import CountingFirestoreClient, Tally, count_sqlite
from devstack.scale_figures import SYNC_KINDS
from gmail_tickets.adapters.firestore_store import FirestoreStore
from gmail_tickets.adapters.sqlite_store import SqliteStore
from gmail_tickets.domain.model import Outcome, SupportAddress
from gmail_tickets.ports import Store, UnitOfWork
from gmail_tickets.services.sync_mailbox import sync_mailbox
from gmail_tickets.settings import Settings
from tests.fixtures.cloud import FIRESTORE_PROJECT
from tests.integration.ingest_harness import IngestHarness

SUPPORT = "support@example.com"
WRITES = ("add_", "put_", "save_", "create_", "delete_")
T = TypeVar("T")


class CountingUnit:
    """The store's unit of work, counting each document it writes."""

    def __init__(self, inner: UnitOfWork, counts: Counter[str]) -> None:
        self._inner, self._counts = inner, counts

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._inner, name)
        if callable(found) and name.startswith(WRITES):
            def counted(*args: Any, **kwargs: Any) -> Any:
                self._counts[name] += 1
                return found(*args, **kwargs)
            return counted
        return found


class CountingStore:
    """The real store; its units of work count their writes (a retried unit's writes count once more)."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner
        self.counts: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def atomically(self, fn: Callable[[UnitOfWork], T]) -> T:
        def counted(uow: UnitOfWork) -> T:
            attempt: Counter[str] = Counter()
            result = fn(CountingUnit(uow, attempt))  # type: ignore[arg-type]
            self.counts.update(attempt)
            return result

        return self._inner.atomically(counted)


@pytest.fixture
def harness(sim, sim_server, store, tmp_path: Path) -> Iterator[IngestHarness]:
    yield IngestHarness(sim, sim_server, store, tmp_path, mailboxes=(SUPPORT,))


def test_a_new_ticket_costs_at_most_three_store_writes(harness: IngestHarness) -> None:
    counting = CountingStore(harness.store)
    harness.deps.store = counting  # type: ignore[assignment]
    mails = 20
    ids = harness.deliver_requests(mails)
    result = sync_mailbox(harness.deps, SUPPORT)
    assert result.status == "synced" and result.outcomes[Outcome.TICKET.value] == mails
    harness.assert_exactly_once(SUPPORT, ids)
    per_mail = {name: n for name, n in counting.counts.items() if name != "put_connection"}
    writes = sum(per_mail.values()) / mails
    print(f"store writes per new ticket: {writes:.2f} {dict(per_mail)}")
    assert writes <= 3, per_mail
    assert counting.counts["add_ledger"] == counting.counts["put_notification"] == mails  # each acknowledged
    [description] = harness.store.comments(harness.store.list_tickets(limit=1)[0].id)
    assert description.gmail_message_id in ids  # stored with its ticket, read back as its first comment


def wire_counted(store: Store, tally: Tally, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The same database, counted where it is billed: Firestore's Commit writes at the gRPC channel (a fresh
    store on the emulator the fixture wiped), SQLite's write statements."""
    if isinstance(store, SqliteStore):
        count_sqlite(store._db, tally)
        return store
    from gmail_tickets.adapters.firestore_store import FirestoreStore

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", store.client._emulator_host)
    return FirestoreStore(CountingFirestoreClient(FIRESTORE_PROJECT, tally), id_block=Settings().ticket_id_block)


def test_a_new_ticket_is_three_writes_at_the_wire_and_no_change_mark(
        sim, sim_server, store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Billed writes, not the store's own count: ledger entry, ticket (with its description) and acknowledgement
    per new ticket, and nothing else per mail — no change mark (domain/change_marks.py) — but the ticket-number
    block, one write per GT_TICKET_ID_BLOCK tickets; the sync's lease and cursor are its own few writes, whatever
    the number of mails (devstack/scale_figures.SYNC_KINDS: `bench scale` tells them apart the same way)."""
    tally = Tally()
    harness = IngestHarness(sim, sim_server, wire_counted(store, tally, monkeypatch), tmp_path, mailboxes=(SUPPORT,))
    mails = 20
    ids = harness.deliver_requests(mails)
    before = tally.kinds()
    assert sync_mailbox(harness.deps, SUPPORT).outcomes[Outcome.TICKET.value] == mails
    harness.assert_exactly_once(SUPPORT, ids)
    kinds = tally.kinds() - before
    per_sync = sum(kinds[k] for k in SYNC_KINDS)
    block = kinds["counters"]
    records = sum(kinds.values()) - per_sync - block
    assert block <= 1, kinds  # a fresh store takes one block of 500 numbers for its first ticket
    print(f"writes at the wire for {mails} new tickets: {dict(kinds)}")
    if isinstance(store, SqliteStore):  # statements: the description is a comment row, search an FTS row each
        assert records == 6 * mails and kinds["ticket_search"] == 2 * mails, kinds
        assert kinds["leases"] <= 4, kinds  # the lease taken and released: no change mark row (in that table)
    else:
        assert records == 3 * mails, kinds
        assert set(kinds) - SYNC_KINDS - {"counters"} == {"ledger", "tickets", "outbox"}, kinds
        assert per_sync <= 6, kinds  # take, a renewal or two, cursor, release: (3 + 6 / 20) a ticket at most
        assert sum(kinds.values()) / mails <= 3.3, kinds  # the bill in all, for a sync of 20


def test_gmail_units_per_mail_over_syncs_of_twenty(harness: IngestHarness) -> None:
    """Five syncs of 20 mails each with the default settings: the label is owed until 100 mails are, then put on
    with one batchModify, so the figure includes the label's cost (and no label is left owed)."""
    harness.deps.settings = replace(harness.deps.settings, label_delay_seconds=Settings().label_delay_seconds)
    before = harness.sim.counters(SUPPORT)
    ids: list[str] = []
    for _ in range(5):
        ids += harness.deliver_requests(20)
        assert sync_mailbox(harness.deps, SUPPORT).outcomes[Outcome.TICKET.value] == 20
    after = harness.sim.counters(SUPPORT)
    methods = {m: v["units"] - before["methods"].get(m, {}).get("units", 0) for m, v in after["methods"].items()}
    units = (after["units"] - before["units"]) / len(ids)
    print(f"gmail units per mail: {units:.2f} {methods}")
    assert units <= 6.5, methods
    assert methods["messages.batchModify"] == 50 and not harness.store.get_connection(SUPPORT).labels_owed
    label_id = harness.store.get_connection(SUPPORT).label_id
    assert all(label_id in harness.sim.message(SUPPORT, i)["labelIds"] for i in ids)


@pytest.mark.firestore
def test_a_new_ticket_on_firestore_is_one_commit_and_few_round_trips(
        sim, sim_server, firestore_store: FirestoreStore, firestore_emulator: Emulator, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted at the gRPC channel over one sync of 20 new mails: a new ticket's unit reads nothing, so it commits
    without a transaction (no BeginTransaction, no read of its ledger entry); each mail makes one count of its
    sender's organization, one Message-ID query, the acknowledgement's two counts, a support-address read, its
    commit and the change marks' bump; the sync's lease, history and cursor come on top, once."""
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", firestore_emulator.host)
    tally = Tally()
    store = FirestoreStore(CountingFirestoreClient(FIRESTORE_PROJECT, tally))  # the fixture's wiped database
    harness = IngestHarness(sim, sim_server, store, tmp_path, mailboxes=(SUPPORT,))
    mails = 20
    ids = harness.deliver_requests(mails)
    before = tally.snapshot()
    result = sync_mailbox(harness.deps, SUPPORT)
    spent = tally.snapshot() - before
    assert result.status == "synced" and result.outcomes[Outcome.TICKET.value] == mails
    harness.assert_exactly_once(SUPPORT, ids)
    print(f"per mail: {spent.round_trips / mails:.2f} round trips, {spent.transactions / mails:.2f} commits")
    assert spent.aborted == 0
    # 7.8 round trips and 2.25 commits measured (12.05 and 2.35 before: BeginTransaction, the ledger entry read,
    # the Gmail thread's query and the sender's own count on every mail); the margin is the lease's renewals,
    # which come with the sync's wall time.
    assert spent.transactions / mails <= 2.5, spent  # the mail's commit and its change marks (+ the sync's)
    assert spent.round_trips / mails <= 9.0, spent


class ReadCountingStore(CountingStore):
    """Counts the support addresses read outside units of work too."""

    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self.addresses_read = 0

    def list_support_addresses(self) -> list[SupportAddress]:
        found = self._inner.list_support_addresses()
        self.addresses_read += len(found)
        return found


def test_connecting_one_more_mailbox_reads_no_more_with_many_connected(harness: IngestHarness) -> None:
    from gmail_tickets.services.connect import ensure_support_address

    counting = ReadCountingStore(harness.store)
    harness.deps.store = counting  # type: ignore[assignment]
    reads = []
    for n in range(60):
        before = counting.addresses_read
        ensure_support_address(harness.deps, f"box{n}@example.com", "default")
        reads.append(counting.addresses_read - before)
    assert reads[-1] <= reads[9], reads
