"""The embedded broker's queue for one worker pool: timers for what is not due yet, and a ready queue per
ordering key served in turn.

Why per key: messages for one mailbox (its syncs, its pushes) share a key, so a backlog on one mailbox takes one
turn in each round and cannot hold the others back. Why timers: a message waiting for its redelivery time sits
here, not on a worker, so a rate-limited call frees its thread for the rest. Not thread-safe on its own: the
broker calls it under its lock.

A pool may also ask for requests about one mailbox to be coalesced (`Coalesce`): a key is handled by one worker at
a time, and a new request for a key that already has one waiting (not yet taken) is merged into it. A sync reads
from the stored cursor, so the one waiting sync covers every push that arrived while the key was queued or
running: N pushes during a running sync give at most one more sync, not N.
"""

from __future__ import annotations

import heapq
import json
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

KEY_FIELDS = ("emailAddress", "address", "connection")  # a mailbox, in the events the product publishes


def ordering_key(data: bytes) -> str:
    """The mailbox a message is about ("" when it names none: those share one turn in the round)."""
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return ""
    if not isinstance(body, dict):
        return ""
    for name in KEY_FIELDS:
        value = body.get(name)
        if isinstance(value, str) and value:
            return value.lower()
    return ""


@dataclass(order=True)
class Delivery:
    due: float
    seq: int
    topic: str = field(compare=False)
    data: bytes = field(compare=False)
    attempt: int = field(default=1, compare=False)
    key: str = field(default="", compare=False)


Merge = Callable[[bytes, bytes], bytes | None]  # (waiting, new) -> the one request for both, or None: keep both


@dataclass(frozen=True)
class Coalesce:
    """Topics whose messages are one kind of request per key (the same handlers), and how two become one."""

    topics: frozenset[str]
    merge: Merge


class FairQueue:
    def __init__(self, coalesce: Coalesce | None = None) -> None:
        self._timers: list[Delivery] = []
        self._ready: OrderedDict[str, deque[Delivery]] = OrderedDict()
        self._coalesce = coalesce
        self._taken: set[str] = set()  # keys a worker is handling (only when coalescing: one at a time)
        self.merged = 0

    def __len__(self) -> int:
        return len(self._timers) + sum(len(q) for q in self._ready.values())

    def put(self, delivery: Delivery, now: float) -> None:
        if delivery.due > now:
            heapq.heappush(self._timers, delivery)
        elif not self._merged(delivery):
            self._ready.setdefault(delivery.key, deque()).append(delivery)

    def _merged(self, new: Delivery) -> bool:
        """Fold a fresh request into the waiting first-attempt request of its key, if the pool coalesces."""
        rule = self._coalesce
        if rule is None or not new.key or new.attempt != 1 or new.topic not in rule.topics:
            return False
        for i, waiting in enumerate(self._ready.get(new.key, ())):
            if waiting.attempt == 1 and waiting.topic in rule.topics:
                data = rule.merge(waiting.data, new.data)
                if data is None:
                    return False
                self._ready[new.key][i] = Delivery(waiting.due, waiting.seq, waiting.topic, data, 1, waiting.key)
                self.merged += 1
                return True
        return False

    def take(self, now: float) -> Delivery | None:
        """The next ready message, from the key whose turn it is; None when nothing is due. When coalescing, a key
        being handled waits its turn until `done`."""
        while self._timers and self._timers[0].due <= now:
            due = heapq.heappop(self._timers)
            self._ready.setdefault(due.key, deque()).append(due)
        key = next((k for k in self._ready if not (k and k in self._taken)), None)
        if key is None:
            return None
        queue = self._ready[key]
        delivery = queue.popleft()
        if queue:
            self._ready.move_to_end(key)  # its next message waits for the other keys' turns
        else:
            del self._ready[key]
        if self._coalesce is not None and key:
            self._taken.add(key)
        return delivery

    def done(self, delivery: Delivery) -> None:
        """A worker finished with `delivery`: its key may be taken again."""
        self._taken.discard(delivery.key)

    def next_due(self) -> float | None:
        """When the earliest timer fires (None: no timers)."""
        return self._timers[0].due if self._timers else None
