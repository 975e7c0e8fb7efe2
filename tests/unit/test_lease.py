"""The lease rules (domain/lease.py) and an OAuth flow's lifetime, on plain values: one sync per mailbox, and a
sync that finds the mailbox busy leaves a look-again mark instead of losing its mail."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from gmail_tickets.domain.lease import Lease, LeaseStep
from gmail_tickets.domain.model import OAuthFlow

NOW = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)
TTL = timedelta(seconds=60)
KEY = "sync:help@acme.test"


def take(current: Lease | None, holder: str = "w-1") -> LeaseStep:
    return Lease.take(current, KEY, holder, NOW, TTL)


def test_a_free_lease_is_taken_unmarked() -> None:
    assert take(None) == LeaseStep(True, write=Lease(KEY, "w-1", NOW + TTL))


def test_our_own_lease_is_extended_keeping_a_mark_left_meanwhile() -> None:
    held = Lease(KEY, "w-1", NOW + timedelta(seconds=5), look_again=True)
    assert take(held) == LeaseStep(True, write=Lease(KEY, "w-1", NOW + TTL, look_again=True))


def test_an_expired_lease_is_taken_over_and_its_mark_is_spent() -> None:
    lapsed = Lease(KEY, "w-2", NOW, look_again=True)  # expiring exactly now counts as expired
    assert take(lapsed) == LeaseStep(True, write=Lease(KEY, "w-1", NOW + TTL))


def test_someone_elses_lease_is_marked_once_and_its_first_finder_watches_it() -> None:
    end = NOW + timedelta(seconds=1)
    held = Lease(KEY, "w-2", end)
    # The first caller to find it busy marks it, and comes back at its expiry (the holder may die meanwhile).
    assert take(held) == LeaseStep(False, write=Lease(KEY, "w-2", end, look_again=True, watched_until=end),
                                   come_back_at=end)
    watched = Lease(KEY, "w-2", end, look_again=True, watched_until=end)
    assert take(watched) == LeaseStep(False)  # marked and watched already: nothing to write, nobody else comes back


def test_a_watched_lease_whose_mark_was_spent_is_marked_again_without_a_second_watcher() -> None:
    end = NOW + timedelta(seconds=20)
    watched = Lease(KEY, "w-2", end, look_again=False, watched_until=NOW + timedelta(seconds=5))
    assert take(watched) == LeaseStep(False, write=replace(watched, look_again=True))


def test_the_watcher_coming_back_to_a_renewed_lease_watches_it_one_lease_more() -> None:
    """Its holder is alive (it renewed): one event per lease comes back while it works, never a storm."""
    renewed = Lease(KEY, "w-2", NOW + timedelta(seconds=20), look_again=True, watched_until=NOW)
    assert take(renewed) == LeaseStep(False, write=replace(renewed, watched_until=NOW + timedelta(seconds=20)),
                                      come_back_at=NOW + timedelta(seconds=20))


def test_a_renewal_extends_only_our_own_lease() -> None:
    ours = Lease(KEY, "w-1", NOW + timedelta(seconds=5), look_again=True, watched_until=NOW + timedelta(seconds=5))
    assert Lease.renew(ours, "w-1", NOW, TTL) == LeaseStep(True, write=replace(ours, expires_at=NOW + TTL))
    lapsed_but_ours = Lease(KEY, "w-1", NOW - timedelta(seconds=1))  # late, but nobody took it over
    assert Lease.renew(lapsed_but_ours, "w-1", NOW, TTL) == LeaseStep(True, write=Lease(KEY, "w-1", NOW + TTL))


def test_a_renewal_never_takes_back_a_lease_taken_over_nor_recreates_a_released_one() -> None:
    assert Lease.renew(Lease(KEY, "w-2", NOW + TTL), "w-1", NOW, TTL) == LeaseStep(False)
    assert Lease.renew(None, "w-1", NOW, TTL) == LeaseStep(False)


def test_a_renewal_never_shortens_the_lease() -> None:
    long = Lease(KEY, "w-1", NOW + 2 * TTL)
    assert Lease.renew(long, "w-1", NOW, TTL) == LeaseStep(True, write=long)


def test_release_with_a_mark_clears_it_and_keeps_the_lease() -> None:
    marked = Lease(KEY, "w-1", NOW + TTL, look_again=True)
    assert Lease.release(marked, "w-1") == LeaseStep(True, write=Lease(KEY, "w-1", NOW + TTL))


def test_release_without_a_mark_frees_the_lease() -> None:
    assert Lease.release(Lease(KEY, "w-1", NOW + TTL), "w-1") == LeaseStep(False, delete=True)


def test_release_of_a_lease_not_ours_leaves_it_alone() -> None:
    assert Lease.release(Lease(KEY, "w-2", NOW + TTL, look_again=True), "w-1") == LeaseStep(False)
    assert Lease.release(None, "w-1") == LeaseStep(False)


def test_an_oauth_flow_is_usable_until_it_expires() -> None:
    flow = OAuthFlow(nonce="n", session_id="s", address="help@acme.test", brand_id="default", import_recent=False,
                     code_verifier="v", redirect_uri="https://desk/cb", created_at=NOW,
                     expires_at=NOW + timedelta(minutes=10))
    assert flow.usable(NOW)
    assert flow.usable(NOW + timedelta(minutes=10) - timedelta(microseconds=1))
    assert not flow.usable(NOW + timedelta(minutes=10))
