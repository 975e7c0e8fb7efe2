"""Who a request is: `Authorization: Bearer <token>` (services/api_tokens.py), and how often a token may ask.

The rate limit is a sliding window per token in this process's memory: one machine is one process; in the cloud
each instance counts its own requests, so the limit is per instance there (the api function's max instances bound
the total)."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable

from flask import request

from gmail_tickets.domain.api_access import ApiToken
from gmail_tickets.domain.people import Agent
from gmail_tickets.services import api_tokens
from gmail_tickets.services.deps import Deps
from gmail_tickets.web.api.problems import Problem

WINDOW_SECONDS = 60.0
MAX_TOKENS_TRACKED = 10_000


class RateLimit:
    def __init__(self, per_minute: int, now: Callable[[], float]) -> None:
        self.per_minute = per_minute
        self._now = now
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = {}

    def wait_seconds(self, key: str) -> int:
        """0 when `key` may make this request (which is counted), else the seconds until it may."""
        now = self._now()
        with self._lock:
            times = self._seen.get(key)
            if times is None:
                if len(self._seen) >= MAX_TOKENS_TRACKED:
                    self._seen.pop(next(iter(self._seen)))
                times = self._seen[key] = deque()
            while times and now - times[0] >= WINDOW_SECONDS:
                times.popleft()
            if len(times) >= self.per_minute:
                return max(1, math.ceil(WINDOW_SECONDS - (now - times[0])))
            times.append(now)
            return 0


def unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="gmail-tickets"'})


def authenticate(deps: Deps, limit: RateLimit) -> tuple[ApiToken, Agent]:
    """The request's token and agent; raises 401 without a valid token, 429 past the token's rate."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise unauthorized("Send an API token: `Authorization: Bearer <token>`.")
    found = api_tokens.authenticate(deps, secret.strip())
    if found is None:
        raise unauthorized("The token is unknown, revoked, or its agent is deactivated.")
    wait = limit.wait_seconds(found[0].id)
    if wait:
        raise Problem(429, "Too Many Requests", f"This token may make {limit.per_minute} requests a minute.",
                      headers={"Retry-After": str(wait)})
    return found
