"""The embedded broker's queue for one worker pool: timers for what is not due yet, and a ready queue per
ordering key served in turn.

Why per key: messages for one mailbox (its syncs, its pushes) share a key, so a backlog on one mailbox takes one
turn in each round and cannot hold the others back. Why timers: a message waiting for its redelivery time sits
here, not on a worker, so a rate-limited call frees its thread for the rest. Not thread-safe on its own: the
broker calls it under its lock.
"""

from __future__ import annotations

import heapq
import json
from collections import OrderedDict, deque
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


class FairQueue:
    def __init__(self) -> None:
        self._timers: list[Delivery] = []
        self._ready: OrderedDict[str, deque[Delivery]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._timers) + sum(len(q) for q in self._ready.values())

    def put(self, delivery: Delivery, now: float) -> None:
        if delivery.due > now:
            heapq.heappush(self._timers, delivery)
        else:
            self._ready.setdefault(delivery.key, deque()).append(delivery)

    def take(self, now: float) -> Delivery | None:
        """The next ready message, from the key whose turn it is; None when nothing is due."""
        while self._timers and self._timers[0].due <= now:
            due = heapq.heappop(self._timers)
            self._ready.setdefault(due.key, deque()).append(due)
        if not self._ready:
            return None
        key, queue = next(iter(self._ready.items()))
        delivery = queue.popleft()
        if queue:
            self._ready.move_to_end(key)  # its next message waits for the other keys' turns
        else:
            del self._ready[key]
        return delivery

    def next_due(self) -> float | None:
        """When the earliest timer fires (None: no timers)."""
        return self._timers[0].due if self._timers else None
