"""What the Gmail API calls cost: quota units per method, and a thread-safe tally of calls, units and retries.

Quota is the scarce thing (15,000 units per user per minute), so every call is counted here (calls and units per
method) and the benchmark can report Gmail units per mail.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

# Quota units per call (Gmail API usage limits). A batch of n calls costs the n calls.
UNIT_COST: dict[str, int] = {
    "getProfile": 1,
    "labels.list": 1,
    "labels.create": 5,
    "history.list": 2,
    "messages.list": 5,
    "messages.get": 5,
    "messages.attachments.get": 5,
    "messages.modify": 5,
    "messages.batchModify": 50,
    "messages.send": 100,
    "watch": 100,
    "stop": 50,
}


class GmailUsage:
    """Calls and quota units spent, per API method; every attempt counts, retries included (Google counts
    the requests it receives). `http_requests` counts round trips: a batch of 50 calls is one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.units: Counter[str] = Counter()
        self.http_requests = 0
        self.retries = 0

    def record(self, method: str, count: int = 1) -> None:
        with self._lock:
            self.calls[method] += count
            self.units[method] += UNIT_COST.get(method, 0) * count
            self.http_requests += 1

    def record_retry(self) -> None:
        with self._lock:
            self.retries += 1

    @property
    def total_units(self) -> int:
        return sum(self.units.values())

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(self.calls),
                "units": dict(self.units),
                "total_calls": sum(self.calls.values()),
                "total_units": sum(self.units.values()),
                "http_requests": self.http_requests,
                "retries": self.retries,
            }

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.units.clear()
            self.http_requests = 0
            self.retries = 0
