"""In-process Pub/Sub for the embedded stack: topics, handlers, worker threads, redelivery with backoff.

It keeps Pub/Sub's contract where it matters for correctness: delivery is at least once, a handler that raises
gets the message again later (with backoff, like a trigger with RETRY_POLICY_RETRY), and a message that keeps
failing ends in a dead-letter list instead of retrying forever.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from gmail_tickets.ports import Handler

log = logging.getLogger(__name__)


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    topic: str = field(compare=False)
    data: bytes = field(compare=False)
    attempt: int = field(default=1, compare=False)


class LocalPublisher:
    """Both ports of a broker in one process: `Publisher` for the services, `Subscriber` for the runtime."""

    def __init__(self, *, workers: int = 2, max_attempts: int = 6, backoff_seconds: float = 0.5,
                 max_backoff_seconds: float = 10.0) -> None:
        self._handlers: dict[str, list[Handler]] = {}
        self._queue: list[_Delivery] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._busy = 0
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._workers = workers
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.dead_letters: list[tuple[str, bytes, str]] = []
        self.published = 0

    def subscribe(self, topic: str, handler: Handler) -> None:
        self._handlers.setdefault(topic, []).append(handler)

    def publish(self, topic: str, data: dict[str, Any]) -> None:
        self.publish_bytes(topic, json.dumps(data).encode())

    def publish_bytes(self, topic: str, data: bytes, delay: float = 0.0) -> None:
        with self._cond:
            self.published += 1
            heapq.heappush(self._queue, _Delivery(time.monotonic() + delay, next(self._seq), topic, data))
            self._cond.notify()

    def start(self) -> LocalPublisher:
        for n in range(self._workers):
            thread = threading.Thread(target=self._work, name=f"local-pubsub-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is queued or being handled; True when that happened in time."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def _next(self) -> _Delivery | None:
        with self._cond:
            while not self._stopping:
                if self._queue and self._queue[0].due <= time.monotonic():
                    self._busy += 1
                    return heapq.heappop(self._queue)
                wait = self._queue[0].due - time.monotonic() if self._queue else 0.5
                self._cond.wait(max(0.001, min(wait, 0.5)))
            return None

    def _work(self) -> None:
        while (delivery := self._next()) is not None:
            try:
                for handler in self._handlers.get(delivery.topic, []):
                    handler(delivery.data)
            except Exception as exc:
                self._retry(delivery, exc)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _retry(self, delivery: _Delivery, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        if delivery.attempt >= self.max_attempts:
            log.error("message dead-lettered", extra={"topic": delivery.topic, "reason": reason})
            self.dead_letters.append((delivery.topic, delivery.data, reason))
            return
        delay = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (delivery.attempt - 1))
        log.info("redelivering", extra={"topic": delivery.topic, "attempt": delivery.attempt, "reason": reason})
        with self._cond:
            heapq.heappush(
                self._queue,
                _Delivery(time.monotonic() + delay, next(self._seq), delivery.topic, delivery.data,
                          delivery.attempt + 1),
            )
            self._cond.notify()
