"""The simulator's clock: wall time plus an offset that tests and the control API can advance.

Everything time-based in the simulator (internalDate, history retention, quota windows, the 24 h sending
window, token and watch expiry) reads this clock, so a test can jump a day ahead without sleeping.
Real sleeps (latency, push pacing) use real time: they model waiting, not calendar time.
"""

from __future__ import annotations

import threading
import time


class SimClock:
    """Wall-clock time shifted by an adjustable offset (seconds since the epoch, as floats)."""

    def __init__(self, start: float | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0 if start is None else start - time.time()

    def now(self) -> float:
        return time.time() + self._offset

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> float:
        """Jump forward (never backward: Gmail's time only moves on) and return the new now()."""
        if seconds < 0:
            raise ValueError("the simulator clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()
