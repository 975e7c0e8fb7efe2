"""The courtesy label is owed on the connection, not in a process's memory: a process that ends owing labels
leaves them to the next sync of that mailbox, which the sweep asks for once they are due. Real parts: the Gmail
simulator over HTTP, both stores."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from gmail_tickets.domain.model import Outcome
from gmail_tickets.services.ingest import ingest_event
from gmail_tickets.services.sweep_shard import check_shard
from gmail_tickets.services.sync_mailbox import sync_mailbox
from gmail_tickets.settings import Settings
from tests.integration.ingest_harness import IngestHarness, LaterClock

SUPPORT = "support@example.com"
DELAY = Settings().label_delay_seconds


@pytest.fixture
def harness(sim, sim_server, store, tmp_path: Path) -> Iterator[IngestHarness]:
    made = IngestHarness(sim, sim_server, store, tmp_path, mailboxes=(SUPPORT,))
    made.deps.settings = replace(made.deps.settings, label_delay_seconds=DELAY)  # batched, as in production
    yield made


def labelled(harness: IngestHarness, ids: list[str]) -> list[bool]:
    label_id = harness.store.get_connection(SUPPORT).label_id
    return [label_id in harness.sim.message(SUPPORT, i)["labelIds"] for i in ids]


def test_labels_owed_when_the_process_ends_are_put_on_by_the_sync_the_sweep_asks_for(
        harness: IngestHarness) -> None:
    ids = harness.deliver_requests(3)
    assert sync_mailbox(harness.deps, SUPPORT).outcomes[Outcome.TICKET.value] == 3
    owed = harness.store.get_connection(SUPPORT)
    assert labelled(harness, ids) == [False] * 3  # owed: fewer than a batch, not yet waited the delay
    assert owed.labels_owed == ids and owed.labels_owed_since is not None
    del harness.deps  # the process ends, with whatever it held in memory

    later = harness.new_instance()  # another process, once the labels have waited the delay
    later.settings = replace(later.settings, label_delay_seconds=DELAY)
    later.clock = LaterClock(DELAY + 1)
    before = harness.sim.counters(SUPPORT)["units"]
    shard = check_shard(later, harness.store.connection_cursors(after=None, limit=10), renew_watches=False)
    assert shard.sync_requested == [SUPPORT]  # no new mail: the owed labels are why
    assert ingest_event(later, json.dumps({"emailAddress": SUPPORT, "source": "sweep"}).encode()) is not None
    assert labelled(harness, ids) == [True] * 3
    after = harness.store.get_connection(SUPPORT)
    assert after.labels_owed == [] and after.labels_owed_since is None
    units = harness.sim.counters(SUPPORT)["units"] - before
    assert units <= 2 + 2 + 50, units  # the check's and the sync's history.list, one batchModify for the three


def test_a_mailbox_owing_nothing_is_not_synced_for_labels(harness: IngestHarness) -> None:
    ids = harness.deliver_requests(2)
    harness.deps.settings = replace(harness.deps.settings, label_delay_seconds=0)  # labelled at the sync's end
    sync_mailbox(harness.deps, SUPPORT)
    assert labelled(harness, ids) == [True, True]
    sync_mailbox(harness.deps, SUPPORT)  # reads past the history our labelling added
    assert harness.store.get_connection(SUPPORT).labels_owed == []
    harness.deps.clock = LaterClock(DELAY + 1)
    shard = check_shard(harness.deps, harness.store.connection_cursors(after=None, limit=10), renew_watches=False)
    assert shard.sync_requested == []


def test_a_push_costs_one_read_of_the_connection(harness: IngestHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    harness.deliver_requests(1)
    reads: list[str] = []
    store = harness.deps.store
    real = store.get_connection

    def counted(address: str):  # type: ignore[no-untyped-def]
        reads.append(address)
        return real(address)

    monkeypatch.setattr(store, "get_connection", counted)
    result = ingest_event(harness.deps, harness.notification())
    assert result is not None and result.outcomes[Outcome.TICKET.value] == 1
    assert reads == [SUPPORT]  # the stale check's read is the sync's; no second one
