"""A lease: one holder at a time for a key (one sync per mailbox), with a "look again" mark.

A sync that finds the mailbox's lease held by someone else does not wait: it leaves a mark for the holder and
goes. The holder, when releasing, finds the mark, clears it and syncs once more, so the mail that woke the other
sync is never left behind. These rules are pure; a store only reads the record and writes what they decide,
inside one transaction, so no mark is lost between the check and the write.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Lease:
    key: str
    holder: str
    expires_at: datetime
    look_again: bool = False  # someone found it held: the holder syncs once more before letting go

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    @staticmethod
    def take(current: Lease | None, key: str, holder: str, now: datetime, ttl: timedelta) -> LeaseStep:
        """Take the lease if free, expired or already ours; otherwise leave a look-again mark on it."""
        fresh = Lease(key, holder, now + ttl)
        if current is None:
            return LeaseStep(True, write=fresh)
        if current.holder == holder:  # re-entrant: extend, and keep any mark others left meanwhile
            return LeaseStep(True, write=replace(fresh, look_again=current.look_again))
        if current.expired(now):  # the old holder is gone; whoever takes over syncs anyway: its mark is spent
            return LeaseStep(True, write=fresh)
        if current.look_again:  # marked already: nothing to write
            return LeaseStep(False)
        return LeaseStep(False, write=replace(current, look_again=True))

    @staticmethod
    def release(current: Lease | None, holder: str) -> LeaseStep:
        """A mark left: clear it and keep the lease (answer True: sync once more). Otherwise free it."""
        if current is None or current.holder != holder:
            return LeaseStep(False)  # not ours (expired and taken over): leave the new holder alone
        if current.look_again:
            return LeaseStep(True, write=replace(current, look_again=False))
        return LeaseStep(False, delete=True)


@dataclass(frozen=True)
class LeaseStep:
    """What a take or release decided: its answer, and what becomes of the stored record (written whole,
    deleted, or, with neither, left as it is)."""

    answer: bool
    write: Lease | None = None
    delete: bool = False
