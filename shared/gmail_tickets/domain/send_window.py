"""Google's rolling 24 h sending limit, counted our way: recipients per connection in hourly buckets.

Gmail counts recipients (not messages) over a rolling 24 hours, shared by API, web and SMTP, and answers a
sending-limit error once past it, possibly for hours. We keep our own count so we switch to the relay BEFORE Gmail
refuses, instead of discovering the limit one failed send at a time.

Buckets are `{hour start (aware UTC, truncated to the hour): recipients}`: at most 25 small entries per connection,
cheap to store in one document and to update in one transaction, where a timestamp per send would grow unbounded.

Hour granularity, and why it errs high: a bucket holds sends from anywhere in its hour, so while any part of that hour
is still inside the last 24 h, some of its sends may still be in Google's window. A bucket therefore counts until its
hour is ENTIRELY older than 24 h (until its hour start + 25 h). Our count may over-estimate Google's by up to one
hour's sends, never under-estimate it: the price of the error is an early fall back to the relay, never a refused
send. (Counting only buckets whose hour STARTED within 24 h would drop a 10:00 bucket at 10:00 the next day while
its 10:59 sends are still in Google's window.)

All functions are pure: they return new values and never mutate the buckets they are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from gmail_tickets.domain.model import AccountKind

Buckets = Mapping[datetime, int]

WINDOW = timedelta(hours=24)
HOUR = timedelta(hours=1)

LIMITS: Mapping[AccountKind, int] = {AccountKind.GMAIL: 500, AccountKind.WORKSPACE: 2000}
"""Recipients per rolling 24 h. Workspace trial accounts get only 500: that is what `limit_for`'s override is for."""


def bucket_of(now: datetime) -> datetime:
    """The hour `now` falls in, as an aware UTC datetime; naive times are refused, since their zone is a guess."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("send window times must be timezone-aware")
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def counts(hour: datetime, now: datetime) -> bool:
    """A bucket counts while any part of its hour lies within the last 24 h (see the module docstring)."""
    return hour + HOUR + WINDOW > now


def _leaves_at(hour: datetime) -> datetime:
    """The instant a bucket's whole hour is older than 24 h and it stops counting."""
    return hour + HOUR + WINDOW


def record(buckets: Buckets, now: datetime, recipients: int) -> dict[datetime, int]:
    """Buckets after sending to `recipients` people at `now`: added to the current hour, stale buckets dropped
    so the stored map stays bounded."""
    if recipients < 0:
        raise ValueError("recipients cannot be negative")
    hour = bucket_of(now)
    kept = {h: n for h, n in buckets.items() if counts(h, now)}
    kept[hour] = kept.get(hour, 0) + recipients
    return kept


def stale_hours(now: datetime, lookback: timedelta = timedelta(days=7)) -> list[datetime]:
    """The hour buckets that stopped counting within `lookback` before `now`: what a store that writes a bucket
    without reading the window deletes in the same write, so its map stays bounded."""
    newest_stale = bucket_of(now) - WINDOW - HOUR  # its hour ended 24 h before the current hour began
    return [newest_stale - HOUR * i for i in range(int(lookback / HOUR))]


def sent_in_window(buckets: Buckets, now: datetime) -> int:
    """Recipients that may still count against Google's rolling 24 h at `now` (errs high, never low)."""
    return sum(n for h, n in buckets.items() if counts(h, now))


def room(buckets: Buckets, now: datetime, limit: int) -> int:
    """How many more recipients fit under `limit` now; 0, not negative, when already past it (web sends count too)."""
    return max(0, limit - sent_in_window(buckets, now))


def frees_at(buckets: Buckets, now: datetime, limit: int, needed: int) -> datetime | None:
    """When enough old buckets will have left the window for `needed` more recipients to fit; None if they fit now.

    Lets the send path say "Gmail again from HH:00" instead of probing Gmail. Raises ValueError when `needed`
    exceeds `limit`: such a mail never fits, however long one waits.
    """
    if needed > limit:
        raise ValueError(f"{needed} recipients can never fit under a limit of {limit}")
    excess = sent_in_window(buckets, now) + needed - limit
    if excess <= 0:
        return None
    for hour, count in sorted((h, n) for h, n in buckets.items() if counts(h, now)):
        excess -= count
        if excess <= 0:
            return _leaves_at(hour)
    raise AssertionError("unreachable: once every bucket has left, needed <= limit fits")  # pragma: no cover


def limit_for(account_kind: AccountKind | str, override: int | None = None) -> int:
    """Recipients per rolling 24 h for this kind of account; an admin's override wins (trial Workspace accounts
    get 500, and a deployer may want to keep a margin for people sending from the Gmail web client)."""
    if override is not None:
        if override < 0:
            raise ValueError("a sending limit cannot be negative")
        return override
    try:
        return LIMITS[AccountKind(account_kind)]
    except ValueError:
        raise ValueError(f"unknown account kind: {account_kind!r}") from None
