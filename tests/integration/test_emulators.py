"""devstack.emulators: Google's emulators start, answer, and leave no java process behind.

Also the Firestore store's own concerns that the shared contract suite cannot see (it speaks only the port):
chunked raw bytes beyond the 1 MiB document limit, id blocks shared by two processes, contended transactions,
document ids that Firestore would reject. All against the real emulator.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.cloud import firestore

from devstack.emulators import Emulator, EmulatorError, is_ready, start_firestore, start_pubsub, wipe_firestore
from gmail_tickets.adapters.firestore_store import INLINE_LIMIT, FirestoreStore, keys
from gmail_tickets.domain.model import Comment, Connection, LedgerEntry, Outcome, QuarantineRecord, Ticket
from gmail_tickets.errors import AlreadyRecorded
from gmail_tickets.ports import UnitOfWork
from tests.fixtures.cloud import FIRESTORE_PROJECT
from tests.processes import gone

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)




# --------------------------------------------------------------------------- the emulators themselves


@pytest.mark.parametrize("start", [start_firestore, start_pubsub], ids=["firestore", "pubsub"])
def test_emulator_starts_answers_and_stops_without_leftovers(start: Callable[[], Emulator]) -> None:
    emulator = start()
    try:
        assert emulator.host.startswith("127.0.0.1:")
        assert emulator.is_running()
        assert is_ready(emulator.host)
        assert emulator.startup_seconds < 30
    finally:
        emulator.stop()

    assert not emulator.is_running()
    assert gone(emulator.pid)
    assert not is_ready(emulator.host)
    emulator.stop()  # a second stop is harmless


@pytest.mark.parametrize("start", [start_firestore, start_pubsub], ids=["firestore", "pubsub"])
def test_a_taken_port_fails_fast_with_the_emulator_log(start: Callable[..., Emulator]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        began = time.monotonic()
        with pytest.raises(EmulatorError, match="did not start"):
            start(taken.getsockname()[1], timeout=30)
    assert time.monotonic() - began < 15  # noticed from the log, not by waiting out the timeout


def test_wipe_empties_the_database(firestore_emulator: Emulator, firestore_client: firestore.Client) -> None:
    wipe_firestore(firestore_emulator.host, FIRESTORE_PROJECT)
    firestore_client.collection("wipe-me").document("a").set({"x": 1})
    firestore_client.collection("wipe-me").document("a").collection("sub").document("b").set({"y": 2})

    wipe_firestore(firestore_emulator.host, FIRESTORE_PROJECT)

    assert list(firestore_client.collection("wipe-me").stream()) == []
    assert not firestore_client.collection("wipe-me").document("a").collection("sub").document("b").get().exists


@pytest.mark.slow
def test_the_cli_prints_env_vars_and_stops_both_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.emulators", "--project", "demo-cli"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(3)]
        env = dict(line.removeprefix("export ").split("=", 1) for line in lines)
        assert set(env) == {"FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST", "GOOGLE_CLOUD_PROJECT"}
        assert env["GOOGLE_CLOUD_PROJECT"] == "demo-cli"
        assert is_ready(env["FIRESTORE_EMULATOR_HOST"]) and is_ready(env["PUBSUB_EMULATOR_HOST"])
        java_pids = _children(process.pid)
        assert len(java_pids) == 2

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert all(gone(pid) for pid in java_pids)
    assert not is_ready(env["FIRESTORE_EMULATOR_HOST"]) and not is_ready(env["PUBSUB_EMULATOR_HOST"])


def test_no_java_is_left_when_python_is_killed() -> None:
    """SIGKILL runs no atexit hook: the parent-death signal must end the emulator on its own."""
    script = (
        "from devstack.emulators import start_pubsub; import time\n"
        "e = start_pubsub(); print(e.pid, flush=True); time.sleep(60)"
    )
    process = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        java_pid = int(process.stdout.readline())
        assert not gone(java_pid, timeout=0.2)
    finally:
        process.kill()
        process.wait()
    assert gone(java_pid)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


# --------------------------------------------------------------------------- the Firestore store's own concerns


@pytest.mark.firestore
def test_quarantined_mail_beyond_the_document_limit_round_trips_whole(firestore_store: FirestoreStore) -> None:
    raw = os.urandom(2_500_000)  # ~2.4 MiB: three chunk documents, more than one chunk commit
    small = b"\x00" * INLINE_LIMIT  # exactly at the inline limit: stays in the document
    big_record = QuarantineRecord(id="big/1", connection="help@acme.test", reason="too big to parse", raw=raw,
                                  source="gmail", gmail_message_id="m-1", created_at=T0)
    small_record = QuarantineRecord(id="small", connection=None, reason="r", raw=small, source="event")

    firestore_store.atomically(lambda uow: uow.add_quarantine(big_record))
    firestore_store.atomically(lambda uow: uow.add_quarantine(small_record))

    got = {r.id: r for r in firestore_store.list_quarantine()}
    assert got == {"big/1": big_record, "small": small_record}
    chunks = firestore_store.client.collection("quarantine").document(keys.doc_id("big/1")).collection("chunks")
    assert len(list(chunks.stream())) == 3


@pytest.mark.firestore
def test_a_comment_body_beyond_the_document_limit_round_trips_whole(firestore_store: FirestoreStore) -> None:
    body = "Zeile mit Ümlaut ✓ " * 120_000  # ~2.6 MB of UTF-8 text
    ticket_id = firestore_store.atomically(lambda uow: uow.add_ticket(Ticket("s", "r@x.test", "c@x.test")))
    huge = Comment(ticket_id=ticket_id, author="r@x.test", body_text=body, created_at=T0, connection="c@x.test")
    after = Comment(ticket_id=ticket_id, author="r@x.test", body_text="short", created_at=T0, connection="c@x.test")

    firestore_store.atomically(lambda uow: [uow.add_comment(huge), uow.add_comment(after)])

    assert firestore_store.comments(ticket_id) == [huge, after]


@pytest.mark.firestore
def test_two_stores_on_one_database_hand_out_distinct_ids(firestore_store: FirestoreStore) -> None:
    other = FirestoreStore(firestore_store.client, id_block=3)  # another process, with its own id block

    def new_ticket(store: FirestoreStore) -> int:
        return store.atomically(lambda uow: uow.add_ticket(Ticket("s", "r@x.test", "c@x.test")))

    ids: dict[str, list[int]] = {"first": [], "other": []}
    for _ in range(5):
        ids["first"].append(new_ticket(firestore_store))
        ids["other"].append(new_ticket(other))

    assert ids["first"] == sorted(ids["first"]) and ids["other"] == sorted(ids["other"])
    assert not set(ids["first"]) & set(ids["other"])
    assert len(firestore_store.list_tickets(limit=20)) == 10


@pytest.mark.firestore
def test_odd_addresses_and_ids_make_valid_distinct_documents(firestore_store: FirestoreStore) -> None:
    odd = ["a/b@x.test", "..", "__reserved__", "colon:in@x.test", "per%cent@x.test", ".", "ü@x.test"]
    for address in odd:
        firestore_store.save_connection(Connection(address=address))

    assert sorted(c.address for c in firestore_store.list_connections()) == sorted(odd)
    assert len({keys.doc_id(a) for a in odd}) == len(odd)
    assert keys.ledger_id("a:b", "c") != keys.ledger_id("a", "b:c")

    entries = [LedgerEntry(connection=a, gmail_message_id="m/1", outcome=Outcome.IGNORED) for a in odd]
    firestore_store.atomically(lambda uow: [uow.add_ledger(e) for e in entries])
    assert all(firestore_store.ledger_contains(a, ["m/1", "m/2"]) == {"m/1"} for a in odd)


@pytest.mark.firestore
def test_a_ledger_entry_read_in_the_same_unit_is_already_recorded_at_once(firestore_store: FirestoreStore) -> None:
    entry = LedgerEntry(connection="help@acme.test", gmail_message_id="m-1", outcome=Outcome.SUSPENDED)
    firestore_store.atomically(lambda uow: uow.add_ledger(entry))

    def again(uow: UnitOfWork) -> None:
        assert uow.get_ledger("help@acme.test", "m-1") is not None
        uow.add_ledger(entry)

    with pytest.raises(AlreadyRecorded):
        firestore_store.atomically(again)
    twice = dataclasses.replace(entry, gmail_message_id="m-2")
    with pytest.raises(AlreadyRecorded):  # the same entry twice in one unit
        firestore_store.atomically(lambda uow: [uow.add_ledger(twice) for _ in range(2)])
    assert firestore_store.ledger_contains("help@acme.test", ["m-1", "m-2"]) == {"m-1"}


@pytest.mark.firestore
@pytest.mark.slow
def test_contended_read_modify_write_loses_no_update(firestore_store: FirestoreStore) -> None:
    """Two workers x 2 increments of one document: each conflict costs the emulator ~2 s, so kept tiny."""
    firestore_store.save_connection(Connection(address="help@acme.test", history_id=0))

    def bump(uow: UnitOfWork) -> None:
        connection = uow.get_connection("help@acme.test")
        assert connection is not None and connection.history_id is not None
        connection.history_id += 1
        uow.put_connection(connection)

    start = threading.Barrier(2)

    def worker(_: int) -> None:
        start.wait(timeout=10)
        for _ in range(2):
            firestore_store.atomically(bump)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(worker, range(2)))

    connection = firestore_store.get_connection("help@acme.test")
    assert connection is not None and connection.history_id == 4
