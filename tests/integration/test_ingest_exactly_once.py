"""Invariant 1: every qualifying inbox mail becomes exactly one ticket or comment — under redelivery, crashes at
every step, push and sweep racing, history expiry, error storms and a revoked token. Each test runs on SQLite
and on the Firestore emulator, against the Gmail simulator over HTTP."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gmail_tickets.domain.model import ConnectionStatus
from gmail_tickets.errors import ComeBackLater
from gmail_tickets.services.ingest import HistoryNotCaughtUp, ingest_event
from gmail_tickets.services.sweep import sweep
from gmail_tickets.services.sync_mailbox import sync_mailbox
from tests.integration.ingest_harness import CrashingMailbox, IngestHarness, SimulatedCrash

SUPPORT = "support@example.com"
SALES = "sales@example.com"


@pytest.fixture
def harness(sim, sim_server, store, tmp_path: Path) -> Iterator[IngestHarness]:
    yield IngestHarness(sim, sim_server, store, tmp_path, mailboxes=(SUPPORT, SALES))


def test_new_mail_becomes_tickets_and_replies_become_comments(harness: IngestHarness) -> None:
    ids = harness.deliver_requests(6, replies_every=3)  # mails 3 and 6 answer mails 2 and 5
    delivered_through = int(harness.sim.profile(SUPPORT)["historyId"])
    result = sync_mailbox(harness.deps, SUPPORT)
    assert result.status == "synced"
    counts = harness.assert_exactly_once(SUPPORT, ids)
    assert counts == {"ticket": 4, "comment": 2}
    connection = harness.store.get_connection(SUPPORT)
    # The cursor passed every delivery (our own labelling adds history after it, read harmlessly next time).
    assert connection is not None and connection.history_id >= delivered_through
    labelled = harness.sim.message(SUPPORT, ids[0])["labelIds"]
    assert connection.label_id in labelled


def test_sent_drafts_spam_and_read_mail_are_not_tickets(harness: IngestHarness) -> None:
    wanted = harness.deliver_requests(2)
    harness.sim.deliver(SUPPORT, b"From: a@x.example\r\nSubject: spam\r\n\r\nbuy", label_ids=["SPAM", "UNREAD"])
    harness.sim.deliver(SUPPORT, b"From: b@x.example\r\nSubject: read\r\n\r\nseen", label_ids=["INBOX"])
    harness.sim.deliver(SUPPORT, b"From: support@example.com\r\nSubject: out\r\n\r\nhi", label_ids=["SENT"])
    sync_mailbox(harness.deps, SUPPORT)
    assert harness.assert_exactly_once(SUPPORT, wanted) == {"ticket": 2}


def test_each_notification_three_times_out_of_order(harness: IngestHarness) -> None:
    notifications, ids = [], []
    for _ in range(4):
        ids += harness.deliver_requests(3, replies_every=2)
        notifications.append(harness.notification())
    deliveries = notifications * 3
    random.Random(7).shuffle(deliveries)
    for data in deliveries:
        try:
            ingest_event(harness.deps, data)
        except HistoryNotCaughtUp:  # cannot happen here: every notified id is already in history
            pytest.fail("history reported as behind a notification it had already shown")
    assert harness.assert_exactly_once(SUPPORT, ids) == {"ticket": 8, "comment": 4}


@pytest.mark.parametrize("point", ["after_fetch", "before_label", "after_label"])
def test_crash_at_each_step_then_rerun(harness: IngestHarness, point: str) -> None:
    ids = harness.deliver_requests(7, replies_every=3)
    crashing = harness.with_mailbox_wrapper(lambda inner: CrashingMailbox(inner, point))
    with pytest.raises(SimulatedCrash):
        sync_mailbox(crashing, SUPPORT)
    result = sync_mailbox(harness.survivor(), SUPPORT)
    assert result.status == "synced"
    assert harness.assert_exactly_once(SUPPORT, ids) == {"ticket": 5, "comment": 2}
    label_id = harness.store.get_connection(SUPPORT).label_id
    assert all(label_id in harness.sim.message(SUPPORT, i)["labelIds"] for i in ids)


def test_crash_between_two_commits_then_rerun(harness: IngestHarness) -> None:
    ids = harness.deliver_requests(6)
    crashing = harness.new_instance()
    real_atomically = crashing.store.atomically
    calls = {"n": 0}

    class CrashingStore:
        def __getattr__(self, name):
            return getattr(harness.store, name)

        def atomically(self, fn):
            calls["n"] += 1
            if calls["n"] == 4:  # three mails committed, the process dies before the fourth
                raise SimulatedCrash("mid-commit")
            return real_atomically(fn)

    crashing.store = CrashingStore()
    with pytest.raises(SimulatedCrash):
        sync_mailbox(crashing, SUPPORT)
    sync_mailbox(harness.survivor(), SUPPORT)
    assert harness.assert_exactly_once(SUPPORT, ids) == {"ticket": 6}


def test_push_and_sweep_racing_on_one_mailbox(harness: IngestHarness) -> None:
    instances = [harness.new_instance() for _ in range(3)]
    ids: list[str] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def keep_syncing(deps, payload_of) -> None:
        while not stop.is_set():
            try:
                ingest_event(deps, payload_of())
            except (HistoryNotCaughtUp, ComeBackLater):
                pass  # the platform would redeliver; the next round does the same
            except BaseException as exc:
                errors.append(exc)
                return

    sweep_payload = json.dumps({"emailAddress": SUPPORT, "source": "sweep"}).encode
    threads = [
        threading.Thread(target=keep_syncing, args=(instances[0], harness.notification)),
        threading.Thread(target=keep_syncing, args=(instances[1], harness.notification)),
        threading.Thread(target=keep_syncing, args=(instances[2], sweep_payload)),
    ]
    for thread in threads:
        thread.start()
    try:
        for _ in range(4):
            ids += harness.deliver_requests(3, replies_every=3)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert not errors, errors
    sync_mailbox(harness.deps, SUPPORT)  # whatever the race left, one more look settles
    assert harness.assert_exactly_once(SUPPORT, ids) == {"ticket": 8, "comment": 4}


def test_history_expiry_in_the_middle_falls_back_to_full_sync(harness: IngestHarness) -> None:
    first = harness.deliver_requests(4)
    sync_mailbox(harness.deps, SUPPORT)
    second = harness.deliver_requests(3)
    harness.sim.expire_history(SUPPORT)
    third = harness.deliver_requests(2)
    result = sync_mailbox(harness.deps, SUPPORT)
    assert result.full_sync
    assert harness.assert_exactly_once(SUPPORT, first + second + third) == {"ticket": 9}
    # After the full sync the cursor works again: new mail flows through history.
    fourth = harness.deliver_requests(2)
    assert not sync_mailbox(harness.deps, SUPPORT).full_sync
    harness.assert_exactly_once(SUPPORT, first + second + third + fourth)


def test_storm_of_429s_and_5xx(harness: IngestHarness) -> None:
    ids = harness.deliver_requests(12, replies_every=4)
    for method, status in [("history.list", 503), ("messages.get", 429), ("messages.get", 500),
                           ("messages.batchModify", 503), ("getProfile", 429)]:
        harness.sim.inject_faults(status, 3, method=method, address=SUPPORT)
    result = sync_mailbox(harness.deps, SUPPORT)
    assert result.status == "synced"
    assert harness.assert_exactly_once(SUPPORT, ids) == {"ticket": 9, "comment": 3}


def test_revoked_token_disconnects_one_mailbox_and_not_the_other(harness: IngestHarness) -> None:
    support_ids = harness.deliver_requests(2, SUPPORT)
    sales_ids = harness.deliver_requests(3, SALES)
    harness.sim.revoke(SUPPORT)
    swept = sweep(harness.deps)
    assert set(swept.requested) == {SUPPORT, SALES}
    for address in (SUPPORT, SALES):
        ingest_event(harness.deps, json.dumps({"emailAddress": address, "source": "sweep"}).encode())
    support = harness.store.get_connection(SUPPORT)
    assert support is not None and support.status == ConnectionStatus.DISCONNECTED
    assert "revoked" in (support.last_error or "")
    assert harness.store.ledger_contains(SUPPORT, support_ids) == set()
    assert harness.assert_exactly_once(SALES, sales_ids) == {"ticket": 3}
    # The sweep no longer asks for the disconnected mailbox.
    assert sweep(harness.deps).requested == [SALES]


def test_one_sync_at_a_time_within_one_process(harness: IngestHarness) -> None:
    """Two workers of the same instance: the second finds the lease taken, so each mail is fetched once."""
    ids = harness.deliver_requests(60)
    harness.sim.set_latency(default_ms=20)
    harness.sim.reset_counters(SUPPORT)
    results = []
    workers = [threading.Thread(target=lambda: results.append(sync_mailbox(harness.deps, SUPPORT))) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert sorted(r.status for r in results) == ["busy", "synced"]
    assert harness.sim.counters(SUPPORT)["methods"]["messages.get"]["calls"] == len(ids)
    harness.assert_exactly_once(SUPPORT, ids)


def test_notification_ahead_of_history_is_retried_not_acked(harness: IngestHarness) -> None:
    """Gmail may notify before history.list shows the change: the event must come back, not be dropped."""
    ids = harness.deliver_requests(2)
    ahead = int(harness.sim.history_id(SUPPORT)) + 1_000
    with pytest.raises(HistoryNotCaughtUp):
        ingest_event(harness.deps, json.dumps({"emailAddress": SUPPORT, "historyId": str(ahead)}).encode())
    harness.assert_exactly_once(SUPPORT, ids)  # what history did show was still recorded


def test_the_sweeps_check_renews_watches_that_expire_within_a_day(harness: IngestHarness) -> None:
    from datetime import timedelta

    from gmail_tickets.services.sweep_shard import check_shard

    now = harness.deps.clock.now()
    renewed_just_now = now + timedelta(days=7) - timedelta(minutes=1)  # not due before its slot
    for address, expiration in ((SUPPORT, now + timedelta(hours=3)), (SALES, renewed_just_now)):
        connection = harness.store.get_connection(address)
        connection.watch_expiration = expiration
        harness.store.save_connection(connection)
    result = check_shard(harness.deps, harness.store.connection_cursors(after=None, limit=10), renew_watches=True)
    assert result.watches_renewed == [SUPPORT]
    renewed = harness.store.get_connection(SUPPORT).watch_expiration
    assert renewed is not None and renewed > now + timedelta(days=6)  # Gmail's watch lasts 7 days
    assert harness.sim.counters(SUPPORT)["methods"]["watch"]["calls"] == 1
    assert "watch" not in harness.sim.counters(SALES)["methods"]
