"""The heartbeat that keeps a short lease while work goes on (services/heartbeat.py): it renews every third of the
lease, keeps beating through a failed renewal, stops at the first "not yours any more", and never renews after
its block ended."""

from __future__ import annotations

import threading
import time

import pytest

from gmail_tickets.services.heartbeat import Heartbeat, LeaseLost


def _wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return False


def test_it_renews_every_third_of_the_lease_until_the_block_ends() -> None:
    beats: list[float] = []
    with Heartbeat(lambda: beats.append(time.monotonic()) or True, 0.15) as heartbeat:
        assert heartbeat.interval == pytest.approx(0.05)
        assert _wait_until(lambda: len(beats) >= 3)
        heartbeat.check()  # still ours: no exception
    done = len(beats)
    time.sleep(0.15)
    assert len(beats) == done  # stopped with the block: no renewal after the work let go


def test_a_lease_taken_over_stops_the_heartbeat_and_the_work_at_its_next_check() -> None:
    answers = iter([True, False])
    calls: list[int] = []

    def renew() -> bool:
        calls.append(1)
        return next(answers)

    with Heartbeat(renew, 0.03) as heartbeat:
        assert _wait_until(lambda: heartbeat.lost)
        with pytest.raises(LeaseLost):
            heartbeat.check()
        time.sleep(0.05)
    assert len(calls) == 2  # no renewal after it was lost


def test_a_failed_renewal_is_tried_again_at_the_next_beat() -> None:
    calls: list[int] = []

    def renew() -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("store briefly unreachable")
        return True

    with Heartbeat(renew, 0.03) as heartbeat:
        assert _wait_until(lambda: len(calls) >= 3)
        assert not heartbeat.lost


def test_leaving_the_block_waits_for_a_renewal_in_flight() -> None:
    inside, finished = threading.Event(), threading.Event()

    def slow_renew() -> bool:
        inside.set()
        time.sleep(0.1)
        finished.set()
        return True

    with Heartbeat(slow_renew, 0.03):
        assert inside.wait(5)
    assert finished.is_set()
