"""The embedded console's sessions, kept server-side so they can end: the signed cookie only names one.

A signed cookie alone cannot be taken back: a copy made before sign-out would work for as long as the key
lives. So each sign-in gets a random id recorded here, with the agent it is for, when it started and when it was
last used; deactivating an agent ends all of theirs (`end_agent`); the
guard admits a cookie only while its id is live. Sign-out forgets the id, a session unused for `idle_seconds`
or older than `max_seconds` ends, and so does every session when the process restarts.

Why in this process's memory, not the Store: the embedded console is one process (`serve`, the demo), and a
record kind in the Store would cost a port and two adapters for state no other process reads. The cloud console
has no sessions to end: Identity-Aware Proxy vouches for every request (web/iap_auth.py).

A reply typed into a session that has ended is kept here too (`stash_draft`), for the same browser only (its
token rides in the signed cookie), and given back once, after sign-in, into the ticket's reply box.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

MAX_SESSIONS = 1_000  # live sessions kept; the oldest go first beyond it
MAX_DRAFTS = 100  # replies kept for browsers whose session ended
DRAFT_SECONDS = 3600.0  # how long such a reply waits for its writer to sign in again


@dataclass
class _Live:
    started: float
    seen: float
    agent: str = ""  # who signed in: the agent's email ("admin" for the shared admin secret)


@dataclass(frozen=True)
class _Draft:
    ticket_id: int
    body: str
    kept_at: float


class SessionRegistry:
    """Live sessions and kept drafts; thread-safe (the console serves each request on a thread)."""

    def __init__(self, *, idle_seconds: float, max_seconds: float, now: Callable[[], float]) -> None:
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds
        self._now = now
        self._lock = threading.Lock()
        self._live: dict[str, _Live] = {}
        self._drafts: dict[str, _Draft] = {}

    def start(self, agent: str = "") -> str:
        """A new session's id, for `agent`."""
        sid = secrets.token_urlsafe(24)
        now = self._now()
        with self._lock:
            self._live = {k: v for k, v in self._live.items() if self._usable(v, now)}
            while len(self._live) >= MAX_SESSIONS:
                self._live.pop(next(iter(self._live)))
            self._live[sid] = _Live(started=now, seen=now, agent=agent)
        return sid

    def touch(self, sid: object, *, use: bool = True) -> bool:
        """Whether `sid` names a live session; using it (`use`) restarts its idle time. An ended one is forgotten."""
        if not isinstance(sid, str):
            return False
        now = self._now()
        with self._lock:
            live = self._live.get(sid)
            if live is None:
                return False
            if not self._usable(live, now):
                del self._live[sid]
                return False
            if use:
                live.seen = now
            return True

    def agent(self, sid: object, *, use: bool = True) -> str | None:
        """Who the live session `sid` is for (using it restarts its idle time, unless `use` is False: a page's
        background poll is not the agent using it); None when it is not live."""
        if not self.touch(sid, use=use):
            return None
        with self._lock:
            live = self._live.get(sid)  # type: ignore[arg-type]
            return live.agent if live is not None else None

    def end_agent(self, agent: str) -> int:
        """End every session of `agent` (deactivated, or their role changed): how many there were."""
        with self._lock:
            ended = [sid for sid, live in self._live.items() if live.agent == agent]
            for sid in ended:
                del self._live[sid]
        return len(ended)

    def end(self, sid: object) -> None:
        with self._lock:
            if isinstance(sid, str):
                self._live.pop(sid, None)

    def _usable(self, live: _Live, now: float) -> bool:
        return now - live.seen < self.idle_seconds and now - live.started < self.max_seconds

    def stash_draft(self, ticket_id: int, body: str) -> str:
        """Keep a reply whose session had ended; the token goes into that browser's cookie."""
        token = secrets.token_urlsafe(24)
        now = self._now()
        with self._lock:
            self._drafts = {k: d for k, d in self._drafts.items() if now - d.kept_at < DRAFT_SECONDS}
            while len(self._drafts) >= MAX_DRAFTS:
                self._drafts.pop(next(iter(self._drafts)))
            self._drafts[token] = _Draft(ticket_id, body, now)
        return token

    def take_draft(self, token: object, ticket_id: int) -> str | None:
        """The reply kept under `token` for this ticket, once; None when there is none (or it is too old)."""
        if not isinstance(token, str):
            return None
        with self._lock:
            draft = self._drafts.get(token)
            if draft is None or draft.ticket_id != ticket_id:
                return None
            del self._drafts[token]
        return draft.body if self._now() - draft.kept_at < DRAFT_SECONDS else None
