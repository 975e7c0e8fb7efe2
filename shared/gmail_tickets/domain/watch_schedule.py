"""When each mailbox's Gmail watch is renewed: on its own time of day, so renewals spread over the day.

Gmail drops a watch 7 days after the call that made it (docs: users.watch; gmail-api-facts.md), so a daily
renewal keeps a margin of 6 days. Renewing everyone together (as a plain "expires within a day" rule does for
mailboxes connected together) would put thousands of watch calls into one minute of the project's quota; instead
each address hashes to a second of the day, its slot, and the mailbox is renewed at the first check after its slot
unless it was already renewed since. "Renewed since the slot" is read off the stored expiration (a watch made after
the slot expires at least `WATCH_LIFETIME` after it), so the rule needs no state of its own. A mailbox with no
watch, or one expiring within `renew_before`, is renewed at its next check, whatever its slot.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

DAY = timedelta(days=1)
WATCH_LIFETIME = timedelta(days=7)
RENEWED_SINCE_SLOT = WATCH_LIFETIME - timedelta(hours=12)  # margin for Gmail's rounding and a late first check


def slot_of(address: str) -> timedelta:
    """The mailbox's renewal time as an offset into the UTC day, the same on every instance."""
    digest = hashlib.sha256(address.strip().lower().encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:8], "big") % int(DAY.total_seconds()))


def last_slot(address: str, now: datetime) -> datetime:
    """The latest moment at or before `now` that is the mailbox's slot."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    slot = midnight + slot_of(address)
    return slot if slot <= now else slot - DAY


def renewal_due(address: str, expiration: datetime | None, now: datetime, renew_before: timedelta) -> bool:
    """Renew now: no watch, one expiring within `renew_before`, or the slot has come since the last renewal."""
    if expiration is None or expiration <= now + renew_before:
        return True
    return expiration < last_slot(address, now) + RENEWED_SINCE_SLOT
