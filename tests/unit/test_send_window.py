"""The rolling 24 h send window: hourly buckets that never under-count Google's limit."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gmail_tickets.domain import send_window
from gmail_tickets.domain.model import AccountKind
from gmail_tickets.domain.send_window import bucket_of, frees_at, limit_for, record, room, sent_in_window

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # an hour start
H = timedelta(hours=1)
M = timedelta(minutes=1)


def test_bucket_of_truncates_to_the_hour_in_utc() -> None:
    assert bucket_of(datetime(2026, 11, 27, 10, 59, 59, 999, tzinfo=UTC)) == T0
    cet = timezone(timedelta(hours=1))
    assert bucket_of(datetime(2026, 11, 27, 11, 30, tzinfo=cet)) == T0
    assert bucket_of(datetime(2026, 11, 27, 11, 30, tzinfo=cet)).tzinfo is UTC


def test_bucket_of_refuses_naive_times() -> None:
    with pytest.raises(ValueError):
        bucket_of(datetime(2026, 11, 27, 10, 0))


def test_record_adds_to_the_current_hour() -> None:
    b = record({}, T0 + 5 * M, 3)
    b = record(b, T0 + 59 * M, 2)
    b = record(b, T0 + H, 4)
    assert b == {T0: 5, T0 + H: 4}


def test_record_never_mutates_its_input() -> None:
    stale = T0 - 30 * H
    original = {stale: 7, T0: 1}
    snapshot = dict(original)
    result = record(original, T0 + M, 2)
    assert original == snapshot
    assert result is not original
    assert result == {T0: 3}


def test_record_drops_buckets_that_left_the_window() -> None:
    now = T0 + 25 * H  # T0's hour ended exactly 24 h ago
    b = record({T0: 9, T0 + H: 4}, now, 1)
    assert b == {T0 + H: 4, now: 1}


def test_record_refuses_negative_counts() -> None:
    with pytest.raises(ValueError):
        record({}, T0, -1)


def test_buckets_older_than_24_hours_no_longer_count() -> None:
    buckets = {T0: 100, T0 + 2 * H: 50}
    assert sent_in_window(buckets, T0 + 2 * H) == 150
    assert sent_in_window(buckets, T0 + 26 * H) == 50  # T0's hour is entirely past
    assert sent_in_window(buckets, T0 + 28 * H) == 0


@pytest.mark.parametrize(
    ("since_hour_end", "counted"),
    [
        (timedelta(0), 10),
        (23 * H + 59 * M, 10),  # 23:59 after the hour ended: its last sends are still in Google's window
        (24 * H - timedelta(microseconds=1), 10),
        (24 * H, 0),  # 24:00 after the hour ended: every send of that hour is older than 24 h
        (24 * H + M, 0),
    ],
)
def test_hour_granularity_edge_counted_from_the_end_of_the_hour(since_hour_end: timedelta, counted: int) -> None:
    assert sent_in_window({T0: 10}, T0 + H + since_hour_end) == counted


@pytest.mark.parametrize("since_hour_start", [23 * H + 59 * M, 24 * H, 24 * H + 59 * M])
def test_a_bucket_still_counts_24_h_after_its_hour_started(since_hour_start: timedelta) -> None:
    """A send at 10:59 is still in Google's window at 10:00-10:59 the next day: dropping the 10:00 bucket when it
    turns 24 h old would under-count, so it stays until its whole hour is past."""
    assert sent_in_window({T0: 10}, T0 + since_hour_start) == 10


def test_never_under_counts_a_send_at_the_end_of_its_hour() -> None:
    sent_at = T0 + 59 * M + 59 * timedelta(seconds=1)
    buckets = record({}, sent_at, 1)
    for minutes in range(0, 24 * 60, 7):  # anywhere in the 24 h Google still counts it
        assert sent_in_window(buckets, sent_at + minutes * M) == 1


def test_room_is_what_is_left_and_never_negative() -> None:
    assert room({T0: 480}, T0, 500) == 20
    assert room({T0: 500}, T0, 500) == 0
    assert room({T0: 650}, T0, 500) == 0  # web sends count too, so we may find ourselves past it
    assert room({T0: 480}, T0 + 25 * H, 500) == 500


def test_frees_at_is_none_when_the_mail_fits_now() -> None:
    assert frees_at({T0: 499}, T0, 500, 1) is None
    assert frees_at({}, T0, 500, 100) is None


def test_frees_at_is_when_enough_old_hours_have_left() -> None:
    buckets = {T0: 200, T0 + 3 * H: 250, T0 + 5 * H: 50}  # 500 used
    now = T0 + 6 * H
    assert frees_at(buckets, now, 500, 1) == T0 + 25 * H  # the oldest bucket leaving is enough
    assert frees_at(buckets, now, 500, 200) == T0 + 25 * H
    assert frees_at(buckets, now, 500, 201) == T0 + 28 * H  # needs the second one gone too
    assert frees_at(buckets, now, 500, 500) == T0 + 30 * H
    # and at that moment the mail does fit
    assert sent_in_window(buckets, T0 + 28 * H) + 201 <= 500
    assert sent_in_window(buckets, T0 + 28 * H - M) + 201 > 500


def test_frees_at_ignores_buckets_already_gone() -> None:
    buckets = {T0 - 30 * H: 1000, T0: 500}
    assert frees_at(buckets, T0, 500, 1) == T0 + 25 * H


def test_frees_at_refuses_a_mail_that_can_never_fit() -> None:
    with pytest.raises(ValueError):
        frees_at({}, T0, 50, 51)


def test_limit_for_account_kinds() -> None:
    assert limit_for(AccountKind.GMAIL) == 500
    assert limit_for(AccountKind.WORKSPACE) == 2000
    assert limit_for("workspace") == 2000
    assert limit_for("gmail") == 500


def test_limit_for_override_wins() -> None:
    assert limit_for(AccountKind.WORKSPACE, 500) == 500  # a trial Workspace account
    assert limit_for(AccountKind.GMAIL, 0) == 0
    with pytest.raises(ValueError):
        limit_for(AccountKind.GMAIL, -1)


def test_limit_for_unknown_kind() -> None:
    with pytest.raises(ValueError):
        limit_for("hotmail")


def test_workspace_has_room_where_gmail_has_none() -> None:
    buckets = {T0: 1500}
    assert room(buckets, T0, limit_for("gmail")) == 0
    assert room(buckets, T0, limit_for("workspace")) == 500
    assert send_window.WINDOW == 24 * H
