"""The sweep's fan-out and its shard checks, on the real store adapters (SQLite and the Firestore emulator), the
Pub/Sub emulator and the Gmail simulator over HTTP.

What holds: every active mailbox lands in exactly one shard per sweep; a sweep out of time resumes where it
stopped; the check of an idle mailbox neither writes nor reads the store; a mailbox with new mail gets its sync
request within the tick (and, in the embedded runtime, its ticket); watches are renewed at the next check when
missing and otherwise on each mailbox's own time of day.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gmail_tickets.adapters.local_publisher import LocalPublisher, Pool
from gmail_tickets.domain.mailbox_check import MailboxCursor
from gmail_tickets.domain.model import Connection, ConnectionStatus
from gmail_tickets.embedded import PUSH_TOPIC, EmbeddedRuntime
from gmail_tickets.ports import Store
from gmail_tickets.services.ingest import ingest_event
from gmail_tickets.services.sweep import sweep
from gmail_tickets.services.sweep_shard import check_shard, decode_shard, shard_event
from tests.fixtures.cloud import PubSubProject
from tests.integration.ingest_harness import IngestHarness

SUPPORT = "support@example.com"
SALES = "sales@example.com"

pytestmark = pytest.mark.pubsub


@pytest.fixture
def harness(sim, sim_server, store, tmp_path: Path, pubsub_project: PubSubProject) -> Iterator[IngestHarness]:
    """Two simulated mailboxes, connected and synced; the product publishes to the Pub/Sub emulator."""
    harness = IngestHarness(sim, sim_server, store, tmp_path, mailboxes=(SUPPORT, SALES))
    harness.deps.publisher = pubsub_project.publisher(create_topics=True)
    for address in (SUPPORT, SALES):
        ingest_event(harness.deps, json.dumps({"emailAddress": address, "source": "sweep"}).encode())
    yield harness


class CountingStore:
    """The store, with every call of a method counted by name (what an idle tick may cost)."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.inner, name)
        if not callable(found):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return found(*args, **kwargs)

        return counted


def seed(store: Store, count: int, *, disconnected: frozenset[int] = frozenset()) -> list[str]:
    addresses = [f"box{n:05d}@example.com" for n in range(count)]
    for n, address in enumerate(addresses):
        status = ConnectionStatus.DISCONNECTED if n in disconnected else ConnectionStatus.CONNECTED
        store.save_connection(Connection(address, status=status, history_id=100 + n))
    return addresses


def shard_messages(project: PubSubProject, subscription: str, expected: int) -> list[list[MailboxCursor]]:
    bodies = project.pull(subscription, expected, timeout=20)
    return [decode_shard(body) for body in bodies]


def test_every_active_mailbox_is_in_exactly_one_shard(store: Store, pubsub_project: PubSubProject,
                                                      harness_free_deps: Any) -> None:
    deps = harness_free_deps(store, shard_size=40)
    addresses = seed(store, 130, disconnected=frozenset({7, 64}))
    subscription = pubsub_project.subscribe_new(deps.settings.sweep_topic)

    result = sweep(deps)

    shards = shard_messages(pubsub_project, subscription, 4)
    covered = Counter(c.address for shard in shards for c in shard)
    active = {a for n, a in enumerate(addresses) if n not in (7, 64)}
    assert set(covered) == active and set(covered.values()) == {1}
    assert sorted(len(s) for s in shards) == [8, 40, 40, 40] and result.shards == 4
    assert result.finished and store.sweep_position() is None
    by_address = {c.address: c for shard in shards for c in shard}
    assert by_address["box00003@example.com"].history_id == 103  # the cursor travels with the mailbox


def test_a_sweep_out_of_time_resumes_where_it_stopped(store: Store, pubsub_project: PubSubProject,
                                                      harness_free_deps: Any) -> None:
    deps = harness_free_deps(store, shard_size=1, budget=0.0)  # one page (100 shards = 100 mailboxes) per sweep
    addresses = seed(store, 250)
    subscription = pubsub_project.subscribe_new(deps.settings.sweep_topic)

    runs = [sweep(deps) for _ in range(3)]

    assert [len(r.requested) for r in runs] == [100, 100, 50]
    assert [r.finished for r in runs] == [False, False, True]
    assert runs[0].resume_after == addresses[99] and store.sweep_position() is None
    covered = Counter(c.address for shard in shard_messages(pubsub_project, subscription, 250) for c in shard)
    assert set(covered) == set(addresses) and set(covered.values()) == {1}
    assert sweep(deps).requested[:100] == addresses[:100]  # after a finished round, from the first again


def test_an_idle_tick_writes_nothing_and_its_check_reads_nothing(harness: IngestHarness,
                                                                 pubsub_project: PubSubProject) -> None:
    sweep(harness.deps)  # the store's one-off upgrade pass marks itself done: the ticks after it are steady
    counting = CountingStore(harness.store)
    deps = dataclasses.replace(harness.deps, store=counting)
    shards_topic = pubsub_project.subscribe_new(deps.settings.sweep_topic)
    syncs = pubsub_project.subscribe_new(deps.settings.sync_topic)
    writes_before = harness.store.write_count
    harness.sim.reset_counters(SUPPORT)

    swept = sweep(deps)
    sweep_calls = dict(counting.calls)
    counting.calls.clear()
    (shard,) = shard_messages(pubsub_project, shards_topic, 1)
    checked = check_shard(deps, shard, renew_watches=False)

    assert sorted(swept.requested) == [SALES, SUPPORT]
    # The sweep reads a page of the projection (one row per mailbox) and its own few things, once per sweep.
    assert sweep_calls["connection_cursors"] == 1 and sweep_calls["sweep_position"] == 1
    assert "save_sweep_position" not in sweep_calls and "atomically" not in sweep_calls
    assert counting.calls == Counter()  # the check: nothing read, nothing written
    assert harness.store.write_count == writes_before
    assert checked.sync_requested == [] and checked.checked == [SALES, SUPPORT]
    methods = harness.sim.counters(SUPPORT)["methods"]
    assert methods["history.list"]["calls"] == 1 and set(methods) == {"history.list"}
    assert pubsub_project.pull(syncs, 1, timeout=2) == []


def test_a_mailbox_with_new_mail_gets_its_sync_within_the_tick(harness: IngestHarness,
                                                               pubsub_project: PubSubProject) -> None:
    shards_topic = pubsub_project.subscribe_new(harness.deps.settings.sweep_topic)
    syncs = pubsub_project.subscribe_new(harness.deps.settings.sync_topic)
    ids = harness.deliver_requests(2, SUPPORT)

    sweep(harness.deps)
    (shard,) = shard_messages(pubsub_project, shards_topic, 1)
    checked = check_shard(harness.deps, shard, renew_watches=False)

    assert checked.sync_requested == [SUPPORT]
    (request,) = pubsub_project.pull(syncs, 1)
    assert json.loads(request) == {"emailAddress": SUPPORT, "source": "sweep"}
    ingest_event(harness.deps, request)
    harness.assert_exactly_once(SUPPORT, ids)


def test_a_stale_or_unsynced_mailbox_is_synced_without_asking_gmail(harness: IngestHarness) -> None:
    """`last_sync_at` is written only by syncs: a check asks for one once it is `sync_mark_every_seconds` old, so
    the console's "last sync" stays within that of now for a healthy idle mailbox."""
    old = harness.store.get_connection(SUPPORT)
    assert old is not None and old.last_sync_at is not None
    cursors = harness.store.connection_cursors(after=None, limit=10)
    harness.deps.clock = _later(harness.deps.clock, timedelta(seconds=harness.deps.settings.sync_mark_every_seconds))
    harness.sim.reset_counters(SUPPORT)

    checked = check_shard(harness.deps, cursors, renew_watches=False)

    assert checked.sync_requested == [SALES, SUPPORT]
    assert "history.list" not in harness.sim.counters(SUPPORT)["methods"]


def test_watches_are_renewed_when_missing_and_on_each_mailboxs_own_time(harness: IngestHarness) -> None:
    now = harness.deps.clock.now()
    fresh = now + timedelta(days=7) - timedelta(minutes=1)  # renewed a minute ago: not due until its next slot
    for address, expiration in ((SUPPORT, None), (SALES, fresh)):
        connection = harness.store.get_connection(address)
        assert connection is not None
        connection.watch_expiration = expiration
        harness.store.save_connection(connection)

    checked = check_shard(harness.deps, harness.store.connection_cursors(after=None, limit=10), renew_watches=True)

    assert checked.watches_renewed == [SUPPORT]
    renewed = harness.store.get_connection(SUPPORT)
    assert renewed is not None and renewed.watch_expiration is not None
    assert renewed.watch_expiration > now + timedelta(days=6)
    assert "watch" not in harness.sim.counters(SALES)["methods"]
    # A day and a half on, SALES's slot has come at least 12 h after its renewal: renewed by that check.
    harness.deps.clock = _later(harness.deps.clock, timedelta(days=1.5))
    again = check_shard(harness.deps, harness.store.connection_cursors(after=None, limit=10), renew_watches=True)
    assert SALES in again.watches_renewed


def test_the_embedded_runtime_fans_out_through_its_ingest_pool(harness: IngestHarness) -> None:
    broker = LocalPublisher(pools=[Pool("ingest", 2, (PUSH_TOPIC, harness.deps.settings.sync_topic,
                                                      harness.deps.settings.sweep_topic))])
    deps = dataclasses.replace(harness.deps, publisher=broker)
    runtime = EmbeddedRuntime(deps, broker, sweep_interval=3600).start()
    try:
        ids = harness.deliver_requests(3, SALES)
        runtime.sweep_now()
        assert broker.drain(60)
    finally:
        runtime.stop()
    harness.assert_exactly_once(SALES, ids)
    assert broker.dead_letters == []


def test_an_unreadable_shard_is_quarantined_not_retried(harness: IngestHarness) -> None:
    assert shard_event(harness.deps, b'{"mailboxes": [{"address": 7}]}', renew_watches=False) is None
    assert len(harness.store.list_quarantine()) == 1


@pytest.fixture
def harness_free_deps(tmp_path: Path, pubsub_project: PubSubProject) -> Any:
    """Deps on `store` publishing to the Pub/Sub emulator, for fan-out tests that need no Gmail."""
    from gmail_tickets import bootstrap

    def build(store: Store, *, shard_size: int, budget: float = 40.0) -> Any:
        config = bootstrap.Config(secrets_file=str(tmp_path / "secrets.json"), blobs_dir=str(tmp_path / "blobs"))
        deps = bootstrap.build(config, store=store, publisher=pubsub_project.publisher(create_topics=True))
        deps.settings = dataclasses.replace(deps.settings, sweep_shard_size=shard_size, sweep_budget_seconds=budget)
        return deps

    return build


def _later(clock: Any, by: timedelta) -> Any:
    class Later:
        def now(self) -> Any:
            return clock.now() + by

    return Later()
