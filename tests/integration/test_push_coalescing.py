"""The embedded runtime coalesces a mailbox's pushes: the ones that come while its sync runs become one more sync,
and every mail is still recorded exactly once.

The embedded stack (`serve`'s wiring) against the Gmail simulator over HTTP, on each store. Pushes are handed in
by the test (the simulator's own are paced and would coalesce some on their own); fetching mail is slowed so the
first sync is surely still running while the others arrive.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from devstack.embedded_stack import EmbeddedStack
from gmail_tickets.embedded import PUSH_TOPIC
from gmail_tickets.ports import Store
from tests.fixtures.sim import SUPPORT, make_mail


def test_pushes_during_a_running_sync_make_one_more_sync_and_each_mail_is_recorded_once(
        tmp_path: Path, store: Store) -> None:
    with EmbeddedStack(tmp_path, store=store, push=False, workers=3, sweep_interval=3600) as stack:
        assert stack.runtime is not None
        handled: list[bytes] = []
        lock = threading.Lock()

        def count(data: bytes) -> None:
            with lock:
                handled.append(data)

        stack.runtime.subscriber.subscribe(PUSH_TOPIC, count)  # beside the runtime's own handler
        history = lambda: stack.sim.counters(SUPPORT)["methods"].get("history.list", {}).get("calls", 0)  # noqa: E731
        before = history()
        stack.sim.set_latency(per_method={"messages.get": 1500})  # the first sync's fetch takes 1.5 s

        first = stack.deliver(make_mail(subject="Mail 0", sender="Ann <ann@customer.test>"))
        stack.runtime.push(SUPPORT, stack.sim.profile(SUPPORT)["historyId"])
        deadline = time.monotonic() + 30
        while history() == before:  # until the sync runs: it listed the history, now it fetches for 1.5 s
            assert time.monotonic() < deadline
            time.sleep(0.01)
        ids = [first]
        for n in range(1, 6):
            ids.append(stack.deliver(make_mail(subject=f"Mail {n}", sender=f"C{n} <c{n}@customer{n}.test>")))
            for _ in range(2):
                stack.runtime.push(SUPPORT, stack.sim.profile(SUPPORT)["historyId"])
        assert stack.runtime.subscriber.drain(60)  # type: ignore[attr-defined]

        assert len(handled) == 2  # the first push, then one for the ten that came during its sync
        assert history() - before <= 2  # two syncs, each one history.list
        entries = [store.atomically(lambda uow, i=i: uow.get_ledger(SUPPORT, i)) for i in ids]
        assert all(e is not None for e in entries)
        tickets = store.list_tickets(connection=SUPPORT)
        assert sorted(t.subject for t in tickets if t.subject.startswith("Mail ")) == [f"Mail {n}" for n in range(6)]
        assert sum(store.ledger_counts().values()) == 6  # each mail once
