"""The bench's monthly bill: list prices times the counted units."""

from __future__ import annotations

import pytest

from devstack.scale_cost import PRICES, TICKS_PER_MONTH, monthly, unit_cost


def test_an_idle_tick_that_costs_nothing_but_its_share_of_a_shard_is_nearly_free() -> None:
    assert unit_cost(reads=0, writes=0, deletes=0, secret_reads=0, publishes=0, busy_s=0) == 0
    one_read = unit_cost(reads=1, writes=0, deletes=0, secret_reads=0, publishes=0, busy_s=0)
    assert one_read == pytest.approx(PRICES["firestore_read"])


def test_deletes_are_priced_apart_from_writes_and_each_publish_bills_at_least_100_ms() -> None:
    delete = unit_cost(reads=0, writes=1, deletes=1, secret_reads=0, publishes=0, busy_s=0)
    assert delete == pytest.approx(PRICES["firestore_delete"])
    quick = unit_cost(reads=0, writes=0, deletes=0, secret_reads=0, publishes=1, busy_s=0.001)
    assert quick > 0.1 * PRICES["vcpu_second"]


def test_the_issues_idle_mailbox_costs_about_sixty_cents_a_month() -> None:
    figures = {"mailboxes": 1000, "active": None,
               "idle": {"tick_s": 40.0, "reads": 8, "writes": 3, "deletes": 1, "secret_reads": 1, "publishes": 1}}
    cost = monthly(figures, workers=2)
    assert 0.4 < cost["idle_per_mailbox"] < 0.8
    assert cost["idle_10000"] == pytest.approx(cost["idle_per_mailbox"] * 10_000, rel=1e-3)
    assert TICKS_PER_MONTH == 43_200


def test_a_measured_check_is_priced_by_its_cpu_and_unhidden_wait_not_the_machines_wall_clock() -> None:
    idle = {"tick_s": 400.0, "reads": 1, "writes": 0, "deletes": 0, "secret_reads": 0, "publishes": 0.01}
    slow_machine = monthly({"mailboxes": 1000, "active": None, "idle": idle}, workers=2)
    measured = monthly({"mailboxes": 1000, "active": None, "idle": {**idle, "cpu_s": 2.0, "wait_s": 0.002}},
                       workers=2)
    assert measured["idle_instance_ms"] == pytest.approx(4.0)  # 2 ms CPU + 2 ms wait, whatever the tick took
    assert slow_machine["idle_instance_ms"] == pytest.approx(800.0)
    assert measured["idle_per_mailbox"] < 0.02 < slow_machine["idle_per_mailbox"]


def test_the_cloud_idle_estimate_includes_the_tokens_and_the_watch_that_no_tick_shows() -> None:
    idle = {"tick_s": 1.0, "reads": 1, "writes": 0, "deletes": 0, "secret_reads": 0, "publishes": 0.01,
            "cpu_s": 3.0, "wait_s": 0.001}
    cloud = monthly({"mailboxes": 1000, "store": "firestore", "active": None, "idle": idle}, workers=4)
    embedded = monthly({"mailboxes": 1000, "store": "sqlite", "active": None, "idle": idle}, workers=4)
    assert embedded["idle_tokens_and_watch_per_mailbox"] == 0
    # 2,400 token reads and 365 decrypts a month, a daily watch renewal: about 0.18 cents a mailbox-month
    assert cloud["idle_tokens_and_watch_per_mailbox"] == pytest.approx(0.00185, abs=0.0001)
    assert cloud["idle_per_mailbox"] == pytest.approx(
        cloud["idle_ticks_per_mailbox"] + cloud["idle_tokens_and_watch_per_mailbox"], abs=1e-4)
