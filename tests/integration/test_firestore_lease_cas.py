"""Firestore leases are settled by compare-and-set (write preconditions), not in transactions, so a process killed
while taking or renewing its lease leaves no lock behind; and a transaction that waits out another's lock gives up
in seconds with TransientError instead of retrying for the ~60 s a dead transaction keeps its locks.

Faults are real: a process hammering a lease is SIGKILLed (as the chaos soak kills function instances), an
abandoned transaction is left open on the emulator, concurrent takers are threads racing on one document.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.emulators import Emulator
from gmail_tickets.adapters.firestore_store import FirestoreStore
from gmail_tickets.adapters.firestore_store.store import FirestoreUnitOfWork
from gmail_tickets.domain.model import OAuthFlow
from gmail_tickets.errors import TransientError
from tests.fixtures.cloud import FIRESTORE_PROJECT

pytestmark = pytest.mark.firestore

KEY = "sync:help@acme.test"
PROMPT_S = 1.0  # a lease operation on a free document takes milliseconds; a lock wait takes 2 s at least
GIVE_UP_S = 12.0  # a few lock timeouts of 2 s each, far under the ~60 s a dead transaction holds its locks

_VICTIM = """
import sys, time
from datetime import UTC, datetime
from gmail_tickets.adapters.firestore_store import FirestoreStore, emulator_client
from gmail_tickets.domain.lease import Lease
store = FirestoreStore(emulator_client(sys.argv[1], sys.argv[2]))
key, op = sys.argv[3], sys.argv[4]
store.take_lease(key, "victim", datetime.now(UTC), 10.0)

def stuck(*args, **kwargs):  # the rule is applied once the lease is read: the process dies right there
    print("deciding", flush=True)
    time.sleep(600)

setattr(Lease, op, staticmethod(stuck))
now = datetime.now(UTC)
store.take_lease(key, "victim", now, 10.0) if op == "take" else store.renew_lease(key, "victim", now, 10.0)
"""


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = fn()
    return result, time.monotonic() - started


def _kill_while_writing_the_lease(host: str, op: str) -> None:
    """Start a process that takes KEY, then `op`s it (take again, or renew), and SIGKILL it once it has read the
    lease and is deciding what to write: the moment a lease transaction would hold the document's lock."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    victim = subprocess.Popen([sys.executable, "-c", _VICTIM, host, FIRESTORE_PROJECT, KEY, op],
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert victim.stdout is not None
        assert victim.stdout.readline().strip() == "deciding", "the lease writer died before it was killed"
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)


@pytest.mark.parametrize("op", ["take", "renew"])
def test_a_holder_killed_while_writing_its_lease_delays_nobody(
        firestore_emulator: Emulator, firestore_store: FirestoreStore, op: str) -> None:
    store = firestore_store
    _kill_while_writing_the_lease(firestore_emulator.host, op)
    later = datetime.now(UTC) + timedelta(seconds=60)  # the victim's lease has lapsed

    taken, took = _timed(lambda: store.take_lease(KEY, "heir", later, 10.0))
    assert taken.taken and took < PROMPT_S, f"taking over waited {took:.1f} s on the killed holder"
    renewed, took = _timed(lambda: store.renew_lease(KEY, "heir", later, 10.0))
    assert renewed and took < PROMPT_S, f"renewing waited {took:.1f} s"
    released, took = _timed(lambda: store.release_lease(KEY, "heir"))
    assert released is False and took < PROMPT_S, f"releasing waited {took:.1f} s"


def test_an_open_transaction_does_not_delay_the_lease(firestore_store: FirestoreStore) -> None:
    store = firestore_store
    now = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
    store.save_oauth_flow(_flow("n-1", now))
    dead = store.client.transaction()  # what a process killed inside a unit of work leaves behind
    dead._begin()
    try:
        assert FirestoreUnitOfWork(store, dead).get_oauth_flow("n-1") is not None
        for op in (lambda: store.take_lease(KEY, "a", now, 10.0).taken,
                   lambda: store.take_lease(KEY, "b", now, 10.0).taken is False,  # leaves a mark
                   lambda: store.renew_lease(KEY, "a", now, 10.0),
                   lambda: store.release_lease(KEY, "a"),  # the mark: keep it, sync once more
                   lambda: store.release_lease(KEY, "a") is False):
            ok, took = _timed(op)
            assert ok and took < PROMPT_S, f"a lease operation took {took:.1f} s beside an open transaction"
    finally:
        dead._rollback()


@pytest.mark.parametrize("round_", range(5))
def test_of_concurrent_takers_exactly_one_holds_the_lease(firestore_store: FirestoreStore, round_: int) -> None:
    store = firestore_store
    now = datetime.now(UTC)
    takers = 8
    start = threading.Barrier(takers)
    answers: dict[str, bool] = {}

    def take(holder: str) -> None:
        start.wait()
        answers[holder] = store.take_lease(KEY, holder, now, 30.0).taken

    threads = [threading.Thread(target=take, args=(f"h{i}",)) for i in range(takers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    holders = [holder for holder, taken in answers.items() if taken]
    assert len(answers) == takers and len(holders) == 1, f"holders: {holders}"
    assert store.renew_lease(KEY, holders[0], now, 30.0)  # the one that was told so really holds it
    assert not any(store.renew_lease(KEY, other, now, 30.0) for other in answers if other != holders[0])


def test_a_transaction_behind_a_dead_ones_lock_gives_up_in_seconds(firestore_store: FirestoreStore) -> None:
    store = firestore_store
    now = datetime.now(UTC)
    store.save_oauth_flow(_flow("n-2", now))
    dead = store.client.transaction()  # read the flow, then the process died: its lock stays ~60 s
    dead._begin()
    try:
        assert FirestoreUnitOfWork(store, dead).get_oauth_flow("n-2") is not None
        started = time.monotonic()
        with pytest.raises(TransientError):
            store.take_oauth_flow("n-2", now)  # reads and deletes it: the delete waits on the lock
        took = time.monotonic() - started
        assert took < GIVE_UP_S, f"a transaction waited {took:.0f} s on a dead transaction's lock"
    finally:
        dead._rollback()
    assert store.take_oauth_flow("n-2", now) is not None  # nothing was lost: the event's retry finds it


def _flow(nonce: str, now: datetime) -> OAuthFlow:
    return OAuthFlow(nonce=nonce, session_id="s", address="help@acme.test", brand_id="acme", import_recent=False,
                     code_verifier="v", redirect_uri="http://localhost/cb", created_at=now,
                     expires_at=now + timedelta(minutes=10))
