"""Calls, quota units and errors per mailbox and method: what tests assert a client spent."""

from __future__ import annotations

import threading
from typing import Any


class Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, dict[str, int]]] = {}

    def _slot(self, address: str, method: str) -> dict[str, int]:
        return self._data.setdefault(address, {}).setdefault(method, {"calls": 0, "units": 0, "errors": 0})

    def call(self, address: str, method: str) -> None:
        with self._lock:
            self._slot(address, method)["calls"] += 1

    def units(self, address: str, method: str, units: int) -> None:
        with self._lock:
            self._slot(address, method)["units"] += units

    def error(self, address: str, method: str) -> None:
        with self._lock:
            self._slot(address, method)["errors"] += 1

    def snapshot(self, address: str) -> dict[str, Any]:
        """{"calls": n, "units": n, "errors": n, "methods": {method: {"calls", "units", "errors"}}}."""
        with self._lock:
            methods = {m: dict(v) for m, v in self._data.get(address, {}).items()}
        return {
            "calls": sum(v["calls"] for m, v in methods.items() if m != "batch"),
            "units": sum(v["units"] for v in methods.values()),
            "errors": sum(v["errors"] for v in methods.values()),
            "methods": methods,
        }

    def addresses(self) -> list[str]:
        with self._lock:
            return list(self._data)

    def reset(self, address: str | None = None) -> None:
        with self._lock:
            if address is None:
                self._data.clear()
            else:
                self._data.pop(address, None)
