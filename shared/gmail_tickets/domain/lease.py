"""A lease: one holder at a time for a key (one sync per mailbox), short and renewed, with a "look again" mark.

A sync that finds the mailbox's lease held by someone else does not wait: it leaves a mark for the holder and
goes. The holder, when releasing, finds the mark, clears it and syncs once more, so the mail that woke the other
sync is never left behind. These rules are pure; a store only reads the record and writes what they decide,
atomically (in one transaction, or on Firestore by a write that fails if the record changed since it was read,
and is then decided again), so no mark is lost between the check and the write.

The lease is short (30 s by default) and its holder renews it while it works (services/heartbeat.py), so a holder
that dies stalls its mailbox for at most one lease. A mark dies with its holder, though: so the first caller that
finds the lease busy while nobody watches it becomes its watcher (`come_back_at`: the lease's expiry), and the
runtime brings that caller back then. A live holder has renewed by then, and the caller watches one more lease; a
dead one's lease has lapsed, and the caller takes it over. One watcher per busy lease: no storm of retries.
A caller may name itself (`watcher`: the event's id, which Pub/Sub keeps across redeliveries): the watcher's own
event, back before the expiry (the platform redelivered it sooner than asked, or twice), still watches, rather than
being taken for one more caller and acknowledged while nobody watches the lease any more.
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
    watched_until: datetime | None = None  # a caller that found it held comes back then (see the module doc)
    watcher: str | None = None  # that caller's id, when it gave one: its redelivery still watches

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    @staticmethod
    def take(current: Lease | None, key: str, holder: str, now: datetime, ttl: timedelta,
             watcher: str | None = None) -> LeaseStep:
        """Take the lease if free, expired or already ours; otherwise leave a look-again mark on it, and become
        its watcher when nobody watches it (or when `watcher` is the one watching it: back early)."""
        fresh = Lease(key, holder, now + ttl)
        if current is None:
            return LeaseStep(True, write=fresh)
        if current.holder == holder:  # re-entrant: extend, and keep any mark others left meanwhile
            return LeaseStep(True, write=replace(current, expires_at=now + ttl))
        if current.expired(now):  # the old holder is gone; whoever takes over syncs anyway: its mark is spent
            return LeaseStep(True, write=fresh)
        watch = (current.watched_until is None or current.watched_until <= now
                 or (watcher is not None and watcher == current.watcher))
        if current.look_again and not watch:  # marked and watched already: nothing to write
            return LeaseStep(False)
        marked = replace(current, look_again=True)
        if not watch:
            return LeaseStep(False, write=marked)
        return LeaseStep(False, write=replace(marked, watched_until=current.expires_at, watcher=watcher),
                         come_back_at=current.expires_at)

    @staticmethod
    def renew(current: Lease | None, holder: str, now: datetime, ttl: timedelta) -> LeaseStep:
        """A heartbeat: extend the lease only while it is still ours. Never recreate a released lease or touch
        one another holder took over (answer False: the lease is lost, stop at the next safe point)."""
        if current is None or current.holder != holder:
            return LeaseStep(False)
        return LeaseStep(True, write=replace(current, expires_at=max(current.expires_at, now + ttl)))

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
    """What a take, renewal or release decided: its answer, what becomes of the stored record (written whole,
    deleted, or, with neither, left as it is), and for a caller that found the lease busy and now watches it,
    when to come back."""

    answer: bool
    write: Lease | None = None
    delete: bool = False
    come_back_at: datetime | None = None


@dataclass(frozen=True)
class LeaseTake:
    """A store's answer to a take: taken, or busy (and then, for the caller that now watches it, when to come
    back: the lease's expiry)."""

    taken: bool
    come_back_at: datetime | None = None
