"""How long a mailbox stalls after a SIGKILL: from the kill until its recorded mail next grows.

Only mailboxes with mail waiting at the kill count (delivered more than recorded): an idle mailbox cannot stall.
`StallTracker` is the pure bookkeeping (unit-tested); `StallMonitor` polls the product's store about twice a second
and feeds it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from devstack.chaos.stack import Kill

POLL_S = 0.5


@dataclass
class Stall:
    process: str
    mailbox: str
    killed_at: float
    base: int  # recorded mail of the mailbox at the kill
    seconds: float | None = None  # until it grew; None while still waiting


class StallTracker:
    def __init__(self) -> None:
        self.stalls: list[Stall] = []

    def on_kill(self, kill: Kill, recorded: dict[str, int], delivered: dict[str, int]) -> None:
        for mailbox, count in recorded.items():
            if delivered.get(mailbox, 0) > count:
                self.stalls.append(Stall(kill.process, mailbox, kill.at, count))

    def observe(self, now: float, recorded: dict[str, int]) -> None:
        for stall in self.stalls:
            if stall.seconds is None and recorded.get(stall.mailbox, 0) > stall.base:
                stall.seconds = now - stall.killed_at

    def longest(self, now: float) -> float:
        """The longest stall; one still waiting counts until `now`."""
        return max((st.seconds if st.seconds is not None else now - st.killed_at for st in self.stalls), default=0.0)

    def longest_without(self, jumps: list[float], now: float) -> float:
        """The longest stall that no clock jump cut short (a jump ages the dead holder's lease at once)."""
        def clean(st: Stall) -> bool:
            end = st.killed_at + (st.seconds if st.seconds is not None else now - st.killed_at)
            return not any(st.killed_at <= jump <= end for jump in jumps)

        return max((st.seconds if st.seconds is not None else now - st.killed_at
                    for st in self.stalls if clean(st)), default=0.0)

    def unresolved(self) -> int:
        return sum(1 for st in self.stalls if st.seconds is None)


class StallMonitor:
    """Polls `recorded()` (mail recorded per mailbox) and `delivered()` on a thread; `on_kill` from the faults."""

    def __init__(self, recorded: Callable[[], dict[str, int]], delivered: Callable[[], dict[str, int]]) -> None:
        self._recorded, self._delivered = recorded, delivered
        self.tracker = StallTracker()
        self.last: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-monitor", daemon=True)

    def start(self) -> StallMonitor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def on_kill(self, kill: Kill) -> None:
        recorded = self._read()
        with self._lock:
            self.tracker.on_kill(kill, recorded, self._delivered())

    def longest(self) -> float:
        with self._lock:
            return self.tracker.longest(time.monotonic())

    def _read(self) -> dict[str, int]:
        try:
            recorded = self._recorded()
        except Exception:  # the store busy for a moment (a killed writer): use the last reading
            return dict(self.last)
        self.last = recorded
        return recorded

    def _run(self) -> None:
        while not self._stop.wait(POLL_S):
            recorded = self._read()
            with self._lock:
                self.tracker.observe(time.monotonic(), recorded)
