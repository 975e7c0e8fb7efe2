"""Watch renewal spread over the day (domain/watch_schedule.py), simulated minute by minute."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from gmail_tickets.domain.watch_schedule import WATCH_LIFETIME, renewal_due, slot_of

T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
RENEW_BEFORE = timedelta(days=1)


def test_slots_spread_over_the_hours_of_the_day() -> None:
    hours = Counter(int(slot_of(f"box{n}@example.com").total_seconds() // 3600) for n in range(10_000))
    assert len(hours) == 24
    assert max(hours.values()) < 1.25 * 10_000 / 24 and min(hours.values()) > 0.75 * 10_000 / 24


def test_mailboxes_connected_together_are_renewed_once_a_day_each_at_its_own_time() -> None:
    """80 mailboxes connected in the same minute: checked every 2 minutes for three days, each is renewed about
    once a day, never with less than 5 days of its watch left, and no check renews more than a few."""
    addresses = [f"box{n}@example.com" for n in range(80)]
    expiration = {a: T0 + WATCH_LIFETIME for a in addresses}  # all watched on connect, at T0
    per_minute: Counter[datetime] = Counter()
    renewals: Counter[str] = Counter()
    least_left = WATCH_LIFETIME
    now = T0
    while now < T0 + timedelta(days=3):
        now += timedelta(minutes=2)
        for address in addresses:
            least_left = min(least_left, expiration[address] - now)
            if renewal_due(address, expiration[address], now, RENEW_BEFORE):
                expiration[address] = now + WATCH_LIFETIME
                renewals[address] += 1
                per_minute[now] += 1
    assert set(renewals.values()) <= {2, 3}  # daily from the first slot at least 12 h after connecting
    assert least_left > timedelta(days=5)
    assert max(per_minute.values()) <= 3


def test_a_missing_or_expiring_watch_is_renewed_at_once() -> None:
    address = "box1@example.com"
    assert renewal_due(address, None, T0, RENEW_BEFORE)
    assert renewal_due(address, T0 + timedelta(hours=3), T0, RENEW_BEFORE)
    assert not renewal_due(address, T0 + WATCH_LIFETIME, T0, RENEW_BEFORE)
