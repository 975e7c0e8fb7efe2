"""Short leases with heartbeats (issue 13): a dead holder stalls a mailbox or a notification for about one lease,
a live one keeps its lease however slow Gmail is, and a holder that lost its lease stops at its next safe point.

Faults are injected for real: a holder that "died" is a lease taken and never renewed (or a sender killed mid-send
by a BaseException), Gmail is slowed by the simulator's latency, time moves on injected clocks. Each test runs on
SQLite and on the Firestore emulator, against the Gmail simulator over HTTP.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from devstack.gmail_sim import GmailSimulator, SimServer
from devstack.relay_server import RelayServer
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.adapters.sqlite_store import SqliteStore
from gmail_tickets.domain.outbox import Notification, NotificationState
from gmail_tickets.embedded import EmbeddedRuntime
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.send_notification import SendInProgress, renew_claim, send_notification
from gmail_tickets.services.sync_mailbox import COME_BACK_MARGIN, SyncResult, sync_mailbox
from tests.integration.ingest_harness import SimulatedCrash
from tests.integration.send_harness import SUPPORT, CrashingSender, SendHarness, ShiftedClock

SHORT = 1.0  # seconds: a lease that real (simulated-slow) Gmail calls outlast; its slack (two thirds of it) is
# wide enough for a busy test machine


@pytest.fixture
def harness(sim: GmailSimulator, sim_server: SimServer, store, tmp_path: Path,  # type: ignore[no-untyped-def]
            relay: RelayServer) -> Iterator[SendHarness]:
    yield SendHarness(sim, sim_server, store, tmp_path, relay)


def _short(deps: Deps, **settings: Any) -> Deps:
    deps.settings = dataclasses.replace(deps.settings, **settings)
    return deps


def _wait_until(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def _in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run `fn` in a thread; the list gets its result, or the exception it raised."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as exc:
            out.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


# --------------------------------------------------------------------------- the sync lease


def test_a_dead_sync_holder_is_replaced_one_lease_later_by_the_event_that_watched_it(harness: SendHarness) -> None:
    ids = harness.deliver_requests(3)
    deps = harness.new_instance()
    clock = ShiftedClock()
    deps.clock = clock
    lease = deps.settings.lease_seconds
    assert lease == 10  # the default: a SIGKILLed holder stalls its mailbox about this long
    assert deps.store.try_lease(f"sync:{SUPPORT}", "dead-instance/1", clock.now(), lease)  # and never renews

    first = sync_mailbox(deps, SUPPORT)
    assert first.status == "busy" and first.come_back_after is not None
    assert lease - 1 < first.come_back_after <= lease + COME_BACK_MARGIN  # back about one lease later, not 120 s
    later = [sync_mailbox(deps, SUPPORT) for _ in range(3)]
    assert [(r.status, r.come_back_after) for r in later] == [("busy", None)] * 3  # one watcher: no storm
    assert not harness.store.ledger_contains(SUPPORT, ids)

    clock.offset = timedelta(seconds=first.come_back_after)
    assert sync_mailbox(deps, SUPPORT).status == "synced"
    assert harness.assert_exactly_once(SUPPORT, ids) == {"ticket": 3}


class _Monotonic:
    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now


def test_embedded_the_busy_event_comes_back_at_the_lease_expiry_without_new_mail(harness: SendHarness) -> None:
    """The runtime side: the watching event waits on a timer (no worker, no attempt used), then syncs."""
    ids = harness.deliver_requests(2)
    deps = harness.new_instance()
    deps.clock = clock = ShiftedClock()
    timers = _Monotonic()
    broker = LocalPublisher(clock=timers)
    deps.publisher = broker
    runtime = EmbeddedRuntime(deps, broker, sweep_interval=3600).start()
    try:
        assert deps.store.try_lease(f"sync:{SUPPORT}", "dead-instance/1", clock.now(), deps.settings.lease_seconds)
        runtime.push(SUPPORT, harness.sim.profile(SUPPORT)["historyId"])
        time.sleep(0.5)  # handled: busy, and now on a timer
        assert not harness.store.ledger_contains(SUPPORT, ids)
        clock.offset = timedelta(seconds=deps.settings.lease_seconds + COME_BACK_MARGIN)
        timers.now += deps.settings.lease_seconds + COME_BACK_MARGIN
        broker.wake()
        assert _wait_until(lambda: harness.store.ledger_contains(SUPPORT, ids) == set(ids))
        assert broker.drain(20)
    finally:
        runtime.stop()
    assert broker.dead_letters == []
    harness.assert_exactly_once(SUPPORT, ids)


@pytest.mark.slow
def test_a_live_holder_keeps_its_lease_through_a_gmail_slower_than_the_lease(harness: SendHarness) -> None:
    ids = harness.deliver_requests(6)
    holder = _short(harness.new_instance(), lease_seconds=SHORT, fetch_chunk=2)
    other = _short(harness.new_instance(), lease_seconds=SHORT)
    harness.sim.set_latency(default_ms=500)  # ten slow calls at least: the sync takes several leases
    harness.sim.reset_counters(SUPPORT)
    started = time.monotonic()
    thread, result = _in_thread(lambda: sync_mailbox(holder, SUPPORT))
    time.sleep(0.2)  # it has the lease (taken before its first, slow, Gmail call)
    seen: list[str] = []
    # Asked for three leases' time, well within its first pass; past its end, a poll could rightly take the lease
    # the holder just released.
    while time.monotonic() - started < 3 * SHORT:
        seen.append(sync_mailbox(other, SUPPORT).status)
        time.sleep(0.1)
    thread.join(60)
    assert time.monotonic() - started > 3 * SHORT  # the lease would have lapsed three times over without renewals
    assert result[0].status == "synced" and result[0].outcomes["ticket"] == 6
    assert seen and set(seen) == {"busy"}  # nobody took it over while its holder lived
    assert harness.sim.counters(SUPPORT)["methods"]["messages.get"]["calls"] == len(ids)  # no double work
    harness.assert_exactly_once(SUPPORT, ids)


def test_a_holder_that_lost_its_lease_stops_at_its_next_safe_point(harness: SendHarness) -> None:
    """Its lease lapsed (a pause longer than the lease: here, a successor whose clock is past it) and another
    sync took over: the old holder's heartbeat finds out, and it stops between chunks instead of syncing on."""
    ids = harness.deliver_requests(10)
    old = _short(harness.new_instance(), lease_seconds=SHORT, fetch_chunk=1)
    successor = _short(harness.new_instance(), lease_seconds=SHORT)
    successor.clock = ShiftedClock(timedelta(seconds=5))
    harness.sim.set_latency(default_ms=150)
    thread, result = _in_thread(lambda: sync_mailbox(old, SUPPORT))
    assert _wait_until(lambda: len(harness.store.ledger_contains(SUPPORT, ids)) >= 1)
    taken_over: SyncResult = sync_mailbox(successor, SUPPORT)
    thread.join(60)
    assert taken_over.status == "synced"
    assert result[0].status == "lost"
    assert sum(result[0].outcomes.values()) < len(ids)  # it stopped; the successor did the rest
    harness.assert_exactly_once(SUPPORT, ids)


# --------------------------------------------------------------------------- the send lease


def test_a_live_sender_keeps_its_claim_through_a_gmail_send_slower_than_the_lease(harness: SendHarness) -> None:
    ticket_id, _ = harness.new_ticket("Slow send")
    note = harness.only_notification(ticket_id)
    short = {"send_lease_seconds": SHORT, "send_recheck_seconds": 0.3}
    slow, other = _short(harness.new_instance(), **short), _short(harness.new_instance(), **short)
    harness.sim.set_latency(per_method={"messages.send": 3000})
    thread, result = _in_thread(lambda: send_notification(slow, note.id))
    time.sleep(0.2)  # it has claimed the record (before its slow send)
    answers: list[str] = []
    while thread.is_alive():
        try:
            answers.append(send_notification(other, note.id).result)
        except SendInProgress:
            answers.append("busy")
        time.sleep(0.05)
    thread.join()
    assert result[0].result == "sent"
    assert answers and set(answers) <= {"busy", "duplicate"}  # "duplicate": asked once it was sent
    assert answers.count("busy") > 1
    assert harness.sent_copies() == {note.message_id: 1}


def _killed_sender(harness: SendHarness, notification_id: str, *,
                   after_gmail_accepted: bool) -> tuple[Deps, Notification]:
    """A sender that dies mid-send (before or after Gmail took the mail); its instance, and the record it left."""
    killed = harness.with_mailbox_wrapper(lambda m: CrashingSender(m, after_gmail_accepted=after_gmail_accepted))
    killed.clock = harness.clock
    with pytest.raises(SimulatedCrash):
        send_notification(killed, notification_id)
    left = harness.store.get_notification(notification_id)
    assert left is not None and left.state == NotificationState.SENDING and left.holder is not None
    return killed, left


def test_a_sender_killed_mid_gmail_send_is_settled_by_the_sent_search_never_sent_twice(harness: SendHarness) -> None:
    ticket_id, _ = harness.new_ticket("Killed mid-send")
    note = harness.only_notification(ticket_id)
    _, held = _killed_sender(harness, note.id, after_gmail_accepted=True)
    assert held.lease_until is not None
    settings = harness.deps.settings
    assert (held.lease_until - harness.clock.now()).total_seconds() <= settings.send_lease_seconds == 30

    harness.clock.offset = timedelta(seconds=settings.send_lease_seconds + settings.send_recheck_seconds)
    outcome = send_notification(harness.new_instance(), note.id)
    assert (outcome.result, outcome.via) == ("sent", "gmail") and "found in SENT" in outcome.reason
    assert harness.sent_copies() == {note.message_id: 1}


def test_a_late_renewal_never_takes_back_a_claim_another_sender_took_over(harness: SendHarness) -> None:
    ticket_id, _ = harness.new_ticket("Taken over")
    note = harness.only_notification(ticket_id)
    first, claim = _killed_sender(harness, note.id, after_gmail_accepted=False)
    settings = harness.deps.settings
    lease = timedelta(seconds=settings.send_lease_seconds)
    assert renew_claim(first, note.id, claim.holder, lease) is True  # still its own: extended

    harness.clock.offset = timedelta(seconds=2 * settings.send_lease_seconds + settings.send_recheck_seconds)
    _, taken = _killed_sender(harness, note.id, after_gmail_accepted=True)  # took it over, sent it, died
    assert taken.holder != claim.holder

    assert renew_claim(first, note.id, claim.holder, lease) is False  # the first sender's heartbeat, late
    after = harness.store.get_notification(note.id)
    assert after is not None and (after.holder, after.lease_until) == (taken.holder, taken.lease_until)

    harness.clock.offset += lease + timedelta(seconds=settings.send_recheck_seconds)
    outcome = send_notification(harness.new_instance(), note.id)
    assert outcome.result == "sent" and "found in SENT" in outcome.reason
    assert harness.sent_copies() == {note.message_id: 1}


# --------------------------------------------------------------------------- a real process, SIGKILLed


_HOLDER = """
import dataclasses, json, sys
from gmail_tickets import bootstrap
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.adapters.sqlite_store import SqliteStore
from gmail_tickets.adapters.sqlite_store import SqliteStore
from gmail_tickets.services.sync_mailbox import sync_mailbox

args = json.loads(sys.argv[1])
deps = bootstrap.build(bootstrap.Config(**args["config"]), store=SqliteStore(args["db"]), publisher=LocalPublisher())
deps.settings = dataclasses.replace(deps.settings, lease_seconds=args["lease"])
sync_mailbox(deps, args["address"])
"""


def _lease_row(db: Path) -> str | None:
    with contextlib.closing(sqlite3.connect(db, timeout=10)) as conn:
        row = conn.execute("SELECT doc FROM leases WHERE key = ?", (f"sync:{SUPPORT}",)).fetchone()
    return row[0] if row else None


def test_a_sigkilled_sync_process_is_replaced_within_a_lease_and_a_few_seconds(
        sim: GmailSimulator, sim_server: SimServer, tmp_path: Path, relay: RelayServer) -> None:
    db = tmp_path / "store.db"
    store = SqliteStore(db)
    try:
        harness = SendHarness(sim, sim_server, store, tmp_path, relay)
        ids = harness.deliver_requests(4)
        lease = 2.0
        config = {"secrets_file": str(tmp_path / "secrets.json"), "blobs_dir": str(tmp_path / "blobs"),
                  "gmail_root_url": sim_server.url, "token_uri": sim_server.url.rstrip("/") + "/token",
                  "oauth_client_id": harness.credentials[SUPPORT].client_id}
        sim.set_latency(default_ms=3000)  # the holder is mid-call when it dies
        args = json.dumps({"config": config, "db": str(db), "lease": lease, "address": SUPPORT})
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        child = subprocess.Popen([sys.executable, "-c", _HOLDER, args], env=env)
        try:
            assert _wait_until(lambda: _lease_row(db) is not None, timeout=30), "the holder never took the lease"
            os.kill(child.pid, signal.SIGKILL)
            killed_at = time.monotonic()
        finally:
            child.kill()
            child.wait(10)
        sim.set_latency(default_ms=0)

        fresh = _short(harness.new_instance(), lease_seconds=lease)
        first = sync_mailbox(fresh, SUPPORT)
        assert first.status == "busy" and first.come_back_after is not None  # the dead holder's lease, still on
        assert first.come_back_after <= lease + COME_BACK_MARGIN
        time.sleep(first.come_back_after)  # what the embedded runtime's timer does
        assert sync_mailbox(fresh, SUPPORT).status == "synced"
        assert time.monotonic() - killed_at < lease + 3
        harness.assert_exactly_once(SUPPORT, ids)
    finally:
        store.close()
