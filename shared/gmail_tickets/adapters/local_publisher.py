"""In-process Pub/Sub for the embedded stack: topics, worker pools, fair order, redelivery on timers.

It keeps Pub/Sub's contract where it matters for correctness: delivery is at least once, a handler that raises
gets the message again later (with backoff, like a trigger with RETRY_POLICY_RETRY, or after the delay a
`RetryLater` names), and a message that keeps failing ends in a dead-letter list instead of retrying forever
(a `ComeBackLater` is a wait, not a failure: it uses up no attempt).

On one machine it adds what the cloud gets from separate functions: each `Pool` of topics has its own workers (a
slow send never holds an ingest worker), a message waiting to be retried waits on a timer rather than a worker,
and within a pool the mailboxes take turns (fair_queue.py). A pool may coalesce one mailbox's requests
(`Pool.coalesce`): the ingest pool handles a mailbox on one worker at a time and folds the pushes that arrive
meanwhile into one waiting sync.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gmail_tickets.adapters.fair_queue import Coalesce, Delivery, FairQueue, ordering_key
from gmail_tickets.errors import ComeBackLater, RetryLater
from gmail_tickets.ports import Handler

log = logging.getLogger(__name__)

DEFAULT_POOL = "default"
MAX_IDLE_WAIT = 0.5  # a waiting worker looks again at least this often (a test's clock may have moved)


@dataclass(frozen=True)
class Pool:
    """Workers of their own for these topics."""

    name: str
    workers: int
    topics: tuple[str, ...]
    coalesce: Coalesce | None = None  # one key at a time, fresh requests folded into the waiting one


class LocalPublisher:
    """Both ports of a broker in one process: `Publisher` for the services, `Subscriber` for the runtime."""

    def __init__(self, *, workers: int = 2, max_attempts: int = 6, backoff_seconds: float = 0.5,
                 max_backoff_seconds: float = 10.0, pools: Iterable[Pool] = (),
                 clock: Callable[[], float] = time.monotonic) -> None:
        """`workers` serve the topics no pool names. `clock` (monotonic seconds) is injectable so tests can move
        timers on; call `wake()` after moving it."""
        self._pools = {DEFAULT_POOL: Pool(DEFAULT_POOL, workers, ()), **{p.name: p for p in pools}}
        if any(p.workers < 1 for p in self._pools.values()):
            raise ValueError("every pool needs at least one worker")
        self._pool_of = {topic: p.name for p in self._pools.values() for topic in p.topics}
        self._queues = {name: FairQueue(pool.coalesce) for name, pool in self._pools.items()}
        self._handlers: dict[str, list[Handler]] = {}
        self._lock = threading.Lock()
        self._cond = {name: threading.Condition(self._lock) for name in self._pools}
        self._idle = threading.Condition(self._lock)
        self._clock = clock
        self._seq = itertools.count()
        self._busy = 0
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.dead_letters: list[tuple[str, bytes, str]] = []
        self.published = 0

    def subscribe(self, topic: str, handler: Handler) -> None:
        self._handlers.setdefault(topic, []).append(handler)

    def publish(self, topic: str, data: dict[str, Any]) -> None:
        self.publish_bytes(topic, json.dumps(data).encode())

    def publish_many(self, topic: str, messages: Sequence[dict[str, Any]]) -> None:
        for data in messages:
            self.publish(topic, data)

    def publish_bytes(self, topic: str, data: bytes, delay: float = 0.0) -> None:
        with self._lock:
            self.published += 1
            self._put(Delivery(self._clock() + delay, next(self._seq), topic, data, 1, ordering_key(data)))

    def start(self) -> LocalPublisher:
        for pool in self._pools.values():
            for n in range(pool.workers):
                thread = threading.Thread(target=self._work, args=(pool.name,), name=f"local-pubsub-{pool.name}-{n}",
                                          daemon=True)
                thread.start()
                self._threads.append(thread)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._stopping = True
            for cond in self._cond.values():
                cond.notify_all()
        for thread in self._threads:
            thread.join(timeout)

    def wake(self) -> None:
        """Have idle workers look at their timers again (after a test moved the clock)."""
        with self._lock:
            for cond in self._cond.values():
                cond.notify_all()

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is queued (timers included) or being handled; True when that happened in time."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._busy or any(len(q) for q in self._queues.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.05))
        return True

    def _put(self, delivery: Delivery) -> None:
        """Queue a delivery in its topic's pool; the caller holds the lock."""
        pool = self._pool_of.get(delivery.topic, DEFAULT_POOL)
        self._queues[pool].put(delivery, self._clock())
        self._cond[pool].notify()

    def _next(self, pool: str) -> Delivery | None:
        queue, cond = self._queues[pool], self._cond[pool]
        with self._lock:
            while not self._stopping:
                now = self._clock()
                delivery = queue.take(now)
                if delivery is not None:
                    self._busy += 1
                    if len(queue):
                        cond.notify()  # more is ready: another idle worker of this pool may take it
                    return delivery
                due = queue.next_due()
                cond.wait(MAX_IDLE_WAIT if due is None else max(0.001, min(due - now, MAX_IDLE_WAIT)))
            return None

    def _work(self, pool: str) -> None:
        while (delivery := self._next(pool)) is not None:
            try:
                for handler in self._handlers.get(delivery.topic, []):
                    handler(delivery.data)
            except Exception as exc:
                self._retry(delivery, exc)
            finally:
                with self._lock:
                    self._busy -= 1
                    self._queues[pool].done(delivery)
                    self._cond[pool].notify()  # its key may have a request waiting for it
                    self._idle.notify_all()

    @property
    def merged(self) -> int:
        """Requests folded into one already waiting (coalescing pools)."""
        with self._lock:
            return sum(q.merged for q in self._queues.values())

    def _retry(self, delivery: Delivery, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        attempt = delivery.attempt if isinstance(exc, ComeBackLater) else delivery.attempt + 1
        if attempt > self.max_attempts:
            log.error("message dead-lettered", extra={"topic": delivery.topic, "reason": reason})
            with self._lock:
                self.dead_letters.append((delivery.topic, delivery.data, reason))
            return
        delay = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (delivery.attempt - 1))
        if isinstance(exc, RetryLater) and exc.retry_after is not None:
            delay = max(0.0, exc.retry_after)  # the handler knows how long (a Retry-After): on a timer, not a worker
        log.info("redelivering", extra={"topic": delivery.topic, "attempt": delivery.attempt, "reason": reason,
                                        "delay": round(delay, 3)})
        with self._lock:
            self._put(Delivery(self._clock() + delay, next(self._seq), delivery.topic, delivery.data,
                               attempt, delivery.key))
