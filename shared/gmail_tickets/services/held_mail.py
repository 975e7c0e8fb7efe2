"""Mail a sync held back behind locked documents (DocumentsLocked), remembered for a short while per process.

A dead transaction keeps its locks about a minute, and each try at the held mail waits out the lock a few times
(~6 s). Without this memory every sync of that minute — one per push, and a busy mailbox gets several a minute —
would pay that wait again, and on single-request function instances the waits add up until other mailboxes queue
behind them. Holding a remembered mail without trying is always safe: the cursor stays before it and a later
sync records it; the cost is at most `seconds` of extra delay once the lock is gone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

HOLD_SECONDS = 15.0


class HeldMail:
    def __init__(self, seconds: float = HOLD_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._clock = clock
        self._until: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def remember(self, mailbox: str, gmail_id: str) -> None:
        now = self._clock()
        with self._lock:
            self._until = {k: t for k, t in self._until.items() if t > now}  # stays as small as what is locked
            self._until[(mailbox, gmail_id)] = now + self._seconds

    def recently_held(self, mailbox: str, gmail_id: str) -> bool:
        with self._lock:
            return self._until.get((mailbox, gmail_id), 0.0) > self._clock()
