"""The chaos soak's fault schedule: every kind of fault even in a bounded run, kills in proportion to its length,
nothing after 90% of it, the same seed the same schedule."""

from collections import Counter
from itertools import pairwise

import pytest

from devstack.chaos import schedule as s


@pytest.mark.parametrize("seconds", [30.0, 60.0, 210.0, 600.0])
def test_every_kind_of_fault_is_in_every_run(seconds: float) -> None:
    kinds = Counter(e.kind for e in s.make_schedule(seconds, seed=3))
    assert set(kinds) == set(s.KINDS)
    assert all(0 <= e.at <= 0.9 * seconds for e in s.make_schedule(seconds, seed=3))


def test_kills_and_gmail_bursts_scale_with_the_run() -> None:
    def count(seconds: float, kind: str) -> int:
        return sum(1 for e in s.make_schedule(seconds) if e.kind == kind)

    assert count(210, s.KILL) == 17  # the full soak
    assert count(60, s.KILL) == 5
    assert count(30, s.KILL) == 3  # never fewer than three
    assert count(210, s.GMAIL_5XX) == count(210, s.GMAIL_429) == 7
    assert count(60, s.GMAIL_5XX) == 2


def test_kills_are_spread_through_the_run() -> None:
    kills = [e.at for e in s.make_schedule(210, seed=9) if e.kind == s.KILL]
    assert kills == sorted(kills)
    assert kills[0] < 0.15 * 210 and kills[-1] > 0.75 * 210
    gaps = [b - a for a, b in pairwise(kills)]
    assert max(gaps) < 3 * 210 / 17


def test_the_send_limit_comes_before_the_relay_faults_it_makes_matter() -> None:
    at = {e.kind: e.at for e in s.make_schedule(60)}
    assert at[s.SEND_LIMIT] < at[s.RELAY_DOWN] < at[s.RELAY_OUTAGE_5M] < at[s.RELAY_OUTAGE_2H]
    outage = next(e for e in s.make_schedule(60) if e.kind == s.RELAY_OUTAGE_2H)
    assert outage.params["step_s"] * outage.params["steps"] == 2 * 3600


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another() -> None:
    assert s.make_schedule(60, seed=5) == s.make_schedule(60, seed=5)
    assert s.make_schedule(60, seed=5) != s.make_schedule(60, seed=6)


def test_relay_faults_share_one_lane_so_they_never_overlap() -> None:
    lanes = s.by_lane(s.make_schedule(60))
    assert {e.kind for e in lanes["relay"]} == {s.SEND_LIMIT, s.RELAY_DOWN, s.RELAY_OUTAGE_5M, s.RELAY_OUTAGE_2H}


def test_a_run_needs_a_duration() -> None:
    with pytest.raises(ValueError):
        s.make_schedule(0)
