"""Presence on one machine: a dict in the console's process, which on one machine is the only console there is.

TYPING_SECONDS is how long one "typing" lasts; the browser renews it at most every RENEW_SECONDS while the agent
types, so an agent who stops (or closes the tab) vanishes within TYPING_SECONDS.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

TYPING_SECONDS = 15
RENEW_SECONDS = 10  # static/live.js sends "typing" at most this often


def typing_until(now: datetime) -> datetime:
    return now + timedelta(seconds=TYPING_SECONDS)


class MemoryPresence:
    """The Presence port in memory; expired entries are dropped as they are read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._typing: dict[int, dict[str, tuple[str, datetime]]] = {}

    def typing(self, ticket_id: int, email: str, name: str, until: datetime) -> None:
        with self._lock:
            self._typing.setdefault(int(ticket_id), {})[email] = (name, until)

    def typing_on(self, ticket_id: int, now: datetime) -> dict[str, str]:
        with self._lock:
            entries = self._typing.get(int(ticket_id), {})
            for email in [e for e, (_, until) in entries.items() if until <= now]:
                del entries[email]
            if not entries:
                self._typing.pop(int(ticket_id), None)
            return {email: name for email, (name, _) in entries.items()}
