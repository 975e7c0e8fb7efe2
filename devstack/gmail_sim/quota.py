"""Gmail's usage limits, counted the way Google counts them.

- Units per method, charged against a per-user budget over a rolling minute (simulator clock).
- At most N requests in flight per user. A batch is ONE in-flight request (its parts run one after
  another inside it), but every part is charged its own units: that is how a batch of 50 gets can pass
  the concurrency cap and still exhaust the per-minute budget.
- Mail sending over a rolling 24 h, counted in recipients (To + Cc + Bcc), 500 for "gmail" accounts and
  2,000 for "workspace" ones.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from .config import DAY
from .errors import CONCURRENCY_MESSAGE, SEND_LIMIT_SUFFIX, ApiError

UNITS: dict[str, int] = {
    "getProfile": 1,
    "watch": 100,
    "stop": 50,
    "labels.list": 1,
    "labels.get": 1,
    "labels.create": 5,
    "labels.update": 5,
    "labels.patch": 5,
    "labels.delete": 5,
    "history.list": 2,
    "messages.list": 5,
    "messages.get": 5,
    "messages.attachments.get": 5,
    "messages.modify": 5,
    "messages.trash": 5,
    "messages.untrash": 5,
    "messages.delete": 10,
    "messages.batchModify": 50,
    "messages.batchDelete": 50,
    "messages.send": 100,
    "messages.insert": 25,
    "messages.import": 25,
    "threads.get": 10,
    "threads.list": 10,
}

QUOTA_MESSAGES = {
    429: (
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service "
        "'gmail.googleapis.com' for consumer 'project_number:000000000000'.",
        "rateLimitExceeded",
    ),
    403: ("User Rate Limit Exceeded", "userRateLimitExceeded"),
}


class RollingBudget:
    """Units spent per user over the last `window_s` seconds of simulator time."""

    def __init__(self, now: Callable[[], float], limit: int, window_s: float = 60.0) -> None:
        self._now = now
        self.limit = limit
        self._window = window_s
        self._spent: dict[str, deque[tuple[float, int]]] = {}
        self._totals: dict[str, int] = {}
        self._lock = threading.Lock()

    def _trim(self, user: str, now: float) -> int:
        spent = self._spent.setdefault(user, deque())
        total = self._totals.get(user, 0)
        while spent and spent[0][0] <= now - self._window:
            total -= spent.popleft()[1]
        self._totals[user] = total
        return total

    def try_spend(self, user: str, amount: int) -> bool:
        with self._lock:
            now = self._now()
            if self._trim(user, now) + amount > self.limit:
                return False
            self._spent[user].append((now, amount))
            self._totals[user] += amount
            return True

    def used(self, user: str) -> int:
        with self._lock:
            return self._trim(user, self._now())

    def reset(self) -> None:
        with self._lock:
            self._spent.clear()
            self._totals.clear()


def quota_error(status: int) -> ApiError:
    message, reason = QUOTA_MESSAGES.get(status, QUOTA_MESSAGES[429])
    return ApiError(status if status in QUOTA_MESSAGES else 429, message, reason, "usageLimits")


class ConcurrencyGate:
    """Requests in flight per user; the (cap+1)-th answers 429 at once instead of waiting."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._inflight: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, user: str) -> Iterator[None]:
        with self._lock:
            if self._inflight.get(user, 0) >= self.cap:
                raise ApiError(429, CONCURRENCY_MESSAGE, "rateLimitExceeded", "usageLimits")
            self._inflight[user] = self._inflight.get(user, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self._inflight[user] -= 1


class SendWindow:
    """Recipients sent per user over a rolling 24 h of simulator time."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._sent: dict[str, deque[tuple[float, int]]] = {}

    def used(self, user: str) -> int:
        sent = self._sent.setdefault(user, deque())
        cutoff = self._now() - DAY
        while sent and sent[0][0] <= cutoff:
            sent.popleft()
        return sum(n for _, n in sent)

    def charge(self, user: str, recipients: int, limit: int) -> None:
        """Raise Gmail's sending-limit error (distinct message, reason userRateLimitExceeded) or count. Like
        Gmail, the message says when to retry: "User-rate limit exceeded.  Retry after <time> (Mail sending)"."""
        used = self.used(user)
        if used + recipients > limit:
            message = f"User-rate limit exceeded.  Retry after {self._frees_at(user, used + recipients - limit)} "
            raise ApiError(429, message + SEND_LIMIT_SUFFIX, "userRateLimitExceeded", "usageLimits")
        self._sent[user].append((self._now(), recipients))

    def _frees_at(self, user: str, excess: int) -> str:
        """When enough of the window's sends will have aged out for `excess` more recipients, as Gmail writes it
        (a day from now when they never can)."""
        at = self._now() + DAY
        for sent_at, n in self._sent.get(user, ()):
            excess -= n
            if excess <= 0:
                at = sent_at + DAY
                break
        return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def forget(self, user: str) -> None:
        self._sent.pop(user, None)
