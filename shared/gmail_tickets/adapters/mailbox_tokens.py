"""Access tokens kept in memory until shortly before they expire, refresh tokens read from their store only to
mint a new one.

Before this cache every sync read its mailbox's refresh token (a Secret Manager access) and refreshed: 14.4 M
secret accesses a day at 10,000 mailboxes. Now a sync whose access token is cached reads no secret and calls no
token endpoint; one whose token is missing or about to expire reads its refresh token once and refreshes once.

- Bounded: a least-recently-used map of at most `capacity` mailboxes (GT_TOKEN_CACHE_SIZE).
- One refresh at a time per mailbox (striped locks): threads that wait find the token the first one got.
- `put` and `delete` (connect, reconnect, disconnect, delete) drop the mailbox's cached token under the same lock,
  so a new refresh token is used at once and a refresh racing a reconnect cannot put the old grant back.
- A token Gmail refused (401) is dropped and the refresh token read again from the store: a reconnect made on
  another instance is picked up the first time the old grant fails, and a revoked grant ends in TokenRevoked.
- This cache keeps no refresh token once it has been used, only short-lived access tokens (the sealed store
  keeps the tokens it opened: sealed_tokens.py says why that is no weaker).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gmail_tickets.errors import TokenRevoked
from gmail_tickets.ports import RefreshTokens

EXPIRY_MARGIN_SECONDS = 300.0  # refresh this long before Google's expiry: no call starts with a dying token
LOCK_STRIPES = 64

Refresher = Callable[[Any, str], tuple[str, float]]
"""(google-auth request, refresh token) → (access token, expiry as a Unix time). Raises google-auth's
RefreshError when Google refuses (invalid_grant: the grant is gone)."""


@dataclass
class _Entry:
    access: str | None = None
    expires_at: float = 0.0
    refresh: str | None = None  # only between `prefetch` and the first refresh: then it is forgotten


class MailboxTokens:
    """The `RefreshTokens` store behind an in-memory cache of access tokens, shared by every thread."""

    def __init__(self, store: RefreshTokens, refresher: Refresher, *, capacity: int = 10_000,
                 margin: float = EXPIRY_MARGIN_SECONDS, clock: Callable[[], float] = time.time) -> None:
        if capacity < 1:
            raise ValueError("the token cache holds at least one mailbox")
        self._store = store
        self._refresher = refresher
        self._capacity = capacity
        self._margin = margin
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()  # guards _entries and the counters; never held across a network call
        self._stripes = [threading.Lock() for _ in range(LOCK_STRIPES)]
        self.store_reads = 0
        self.refreshes = 0

    # ------------------------------------------------------------------ RefreshTokens

    def get(self, address: str) -> str | None:
        self._count_read()
        return self._store.get(address)

    def put(self, address: str, token: str) -> None:
        with self._stripe(address):
            self._store.put(address, token)
            self._drop(address)

    def delete(self, address: str) -> None:
        with self._stripe(address):
            self._store.delete(address)
            self._drop(address)

    # ------------------------------------------------------------------ access tokens

    def cached(self, address: str) -> str | None:
        """The mailbox's access token when it is good for longer than the margin, else None."""
        with self._lock:
            entry = self._entries.get(address)
            if entry is None:
                return None
            self._entries.move_to_end(address)
            return entry.access if self._usable(entry) else None

    def prefetch(self, address: str) -> None:
        """Make sure a token can be had: nothing to do when one is cached, else read the refresh token now (kept
        for the refresh that follows). Raises TokenRevoked when none is stored."""
        with self._stripe(address):
            with self._lock:
                if address in self._entries:
                    return
            token = self.get(address)
            if token is None:
                raise TokenRevoked(f"no refresh token stored for {address}")
            self._keep(address, _Entry(refresh=token))

    def fresh(self, address: str, request: Any, *, rejected: str | None = None) -> str:
        """A usable access token: the cached one unless it is `rejected` (Gmail answered 401 to it) or expiring,
        else one minted from the stored refresh token."""
        with self._stripe(address):
            with self._lock:
                entry = self._entries.get(address)
            if entry is not None and entry.access is not None and entry.access != rejected and self._usable(entry):
                return entry.access
            refresh = entry.refresh if entry is not None and entry.refresh and rejected is None else None
            if refresh is None:
                refresh = self.get(address)
            if refresh is None:
                self._drop(address)
                raise TokenRevoked(f"no refresh token stored for {address}")
            with self._lock:
                self.refreshes += 1
            try:
                access, expires_at = self._refresher(request, refresh)
            except Exception:
                self._drop(address)
                raise
            self._keep(address, _Entry(access=access, expires_at=expires_at))
            return access

    def forget(self, address: str) -> None:
        """Drop the mailbox's cached token (the next call reads its refresh token again)."""
        with self._stripe(address):
            self._drop(address)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    # ------------------------------------------------------------------ helpers

    def _usable(self, entry: _Entry) -> bool:
        return entry.access is not None and entry.expires_at - self._margin > self._clock()

    def _stripe(self, address: str) -> threading.Lock:
        return self._stripes[hash(address) % LOCK_STRIPES]

    def _keep(self, address: str, entry: _Entry) -> None:
        with self._lock:
            self._entries[address] = entry
            self._entries.move_to_end(address)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def _drop(self, address: str) -> None:
        with self._lock:
            self._entries.pop(address, None)

    def _count_read(self) -> None:
        with self._lock:
            self.store_reads += 1
