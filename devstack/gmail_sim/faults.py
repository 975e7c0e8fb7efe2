"""Injected failures and latency: how tests make Gmail slow or flaky on purpose."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError

_DEFAULTS: dict[tuple[int, str | None], tuple[str, str]] = {
    (500, None): ("Internal error encountered.", "backendError"),
    (502, None): ("Bad Gateway", "backendError"),
    (503, None): ("The service is currently unavailable.", "backendError"),
    (429, None): ("Too many concurrent requests for user", "rateLimitExceeded"),
    (403, None): ("User Rate Limit Exceeded", "userRateLimitExceeded"),
    (403, "rateLimitExceeded"): ("Rate Limit Exceeded", "rateLimitExceeded"),
    (403, "userRateLimitExceeded"): ("User Rate Limit Exceeded", "userRateLimitExceeded"),
    (401, None): ("Invalid Credentials", "authError"),
}


@dataclass
class Fault:
    """The next `count` calls of `method` ("*" = any) for `address` ("*" = any) fail like this."""

    status: int
    count: int = 1
    method: str = "*"
    address: str = "*"
    reason: str | None = None
    message: str | None = None
    retry_after: float | None = None
    hits: int = field(default=0)

    def error(self) -> ApiError:
        default_message, default_reason = _DEFAULTS.get(
            (self.status, self.reason), _DEFAULTS.get((self.status, None), ("Injected failure", "backendError"))
        )
        headers = [("Retry-After", str(int(self.retry_after)))] if self.retry_after is not None else []
        return ApiError(self.status, self.message or default_message, self.reason or default_reason, headers=headers)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "count": self.count,
            "method": self.method,
            "address": self.address,
            "reason": self.reason,
            "message": self.message,
            "retry_after": self.retry_after,
            "hits": self.hits,
        }


class FaultInjector:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, address: str) -> ApiError | None:
        """Consume the first matching fault, oldest first. A rule for "*" hits API methods only: not the
        token endpoint ("token") and not a whole batch request ("batch"; its parts are API calls)."""
        with self._lock:
            for fault in self._faults:
                if fault.count <= 0:
                    continue
                if fault.method == "*" and method in ("batch", "token"):
                    continue
                if fault.method not in ("*", method) or fault.address not in ("*", address.lower()):
                    continue
                fault.count -= 1
                fault.hits += 1
                return fault.error()
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_json() for f in self._faults]


class LatencyTable:
    """Seconds to sleep per call: a default plus per-method overrides (key "batch" for a batch)."""

    def __init__(self, default_ms: float, per_method_ms: dict[str, float]) -> None:
        self.default_ms = default_ms
        self.per_method_ms = dict(per_method_ms)

    def seconds(self, method: str) -> float:
        return self.per_method_ms.get(method, self.default_ms) / 1000.0

    def to_json(self) -> dict[str, Any]:
        return {"default_ms": self.default_ms, "methods": dict(self.per_method_ms)}
