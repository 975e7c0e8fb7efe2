"""Keep a short lease while the work under it goes on: a daemon thread renews it every third of the lease.

Leases are short (30 s by default) so that a holder that dies stalls its mailbox or its notification for at
most one lease; a live holder keeps its lease however long the work takes (a big sync, Gmail slow for a while)
by renewing it. A thread rather than renewals at checkpoints, because one step (a Gmail call under a latency
burst, a batch of fetches) has no bound we could show to be much shorter than the lease. Renewing every third
of the lease leaves two missed or slow renewals of slack before the lease lapses under a live holder.

A renewal only extends a lease that is still this holder's (the store decides atomically): it never
recreates a released lease nor takes back one another holder took over. When a renewal answers "not yours any
more", the heartbeat stops and `lost` is set; the work checks `check()` at its safe points and stops there.
A renewal that fails (the store briefly unreachable) is retried at the next beat: the lease has slack for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType

from gmail_tickets.errors import GmailTicketsError

log = logging.getLogger(__name__)

BEATS_PER_LEASE = 3  # renew every third of the lease


class LeaseLost(GmailTicketsError):
    """Another holder took the lease over (ours lapsed): stop at this safe point and leave the work to it."""


class Heartbeat:
    """`with Heartbeat(renew, lease_seconds):` renews through `renew()` (True: still ours) until the block ends.
    Leaving the block stops the thread and waits for a renewal in flight, so none runs after the work let go."""

    def __init__(self, renew: Callable[[], bool], lease_seconds: float, *, name: str = "lease") -> None:
        self._renew = renew
        self.interval = lease_seconds / BEATS_PER_LEASE
        self._name = name
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def check(self) -> None:
        """A safe point: raise LeaseLost once a renewal found the lease taken over."""
        if self._lost.is_set():
            raise LeaseLost(f"{self._name}: taken over by another holder")

    def __enter__(self) -> Heartbeat:
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{self._name}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                still_ours = self._renew()
            except Exception as exc:  # the store, briefly: the next beat tries again, the lease has slack for it
                log.warning("lease renewal failed", extra={"lease": self._name, "error": str(exc)})
                continue
            if not still_ours:  # taken over (the work says so at its next check), or released just now
                log.info("lease no longer ours", extra={"lease": self._name})
                self._lost.set()
                return
