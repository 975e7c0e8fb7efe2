"""Sign-in guesses, limited per account and per client address: a few wrong passwords cost nothing, a stream
of them waits. In this process's memory, like the sessions (web/sessions.py): the embedded console is one process.

Modest on purpose: a locked account would let anyone lock an agent out by typing their address wrongly, so a
key only waits until its window has passed, and a right password never resets another key's failures.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

PER_ACCOUNT = 5  # failures per account within the window
PER_ADDRESS = 20  # failures per client address within the window (an office shares one)
WINDOW_SECONDS = 300.0
MAX_KEYS = 10_000


class Throttle:
    def __init__(self, now: Callable[[], float], *, window: float = WINDOW_SECONDS) -> None:
        self._now = now
        self._window = window
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}

    def _recent(self, key: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(key, []) if now - t < self._window]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def blocked(self, account: str, address: str) -> bool:
        now = self._now()
        with self._lock:
            return (len(self._recent(f"account:{account}", now)) >= PER_ACCOUNT
                    or len(self._recent(f"address:{address}", now)) >= PER_ADDRESS)

    def failed(self, account: str, address: str) -> None:
        now = self._now()
        with self._lock:
            if len(self._failures) >= MAX_KEYS:  # forget the oldest keys rather than grow without bound
                for key in list(self._failures)[: MAX_KEYS // 10]:
                    del self._failures[key]
            for key in (f"account:{account}", f"address:{address}"):
                self._failures.setdefault(key, []).append(now)
