"""Contract: leases keep one sync per mailbox at a time without ever losing a push.

A push that finds the mailbox busy leaves a "look again" mark instead of syncing; the holder sees it when it
releases and syncs once more. Losing that mark would strand mail until the next sweep.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gmail_tickets.ports import Store

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
KEY = "sync:help@acme.test"
TTL = 60.0


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_free_lease_is_taken(store: Store) -> None:
    assert store.try_lease(KEY, "a", _at(0), TTL) is True
    assert store.try_lease(KEY, "b", _at(1), TTL) is False


def test_release_without_a_mark_frees_the_lease(store: Store) -> None:
    assert store.try_lease(KEY, "a", _at(0), TTL)

    assert store.release_lease(KEY, "a") is False
    assert store.try_lease(KEY, "b", _at(1), TTL) is True


def test_a_busy_lease_leaves_a_look_again_mark_for_its_holder(store: Store) -> None:
    assert store.try_lease(KEY, "a", _at(0), TTL)
    assert store.try_lease(KEY, "b", _at(1), TTL) is False
    assert store.try_lease(KEY, "c", _at(2), TTL) is False  # a second mark is the same mark

    assert store.release_lease(KEY, "a") is True  # sync once more...
    assert store.try_lease(KEY, "b", _at(3), TTL) is False  # ...still holding the lease meanwhile
    assert store.release_lease(KEY, "a") is True  # b's new attempt marked it again
    assert store.release_lease(KEY, "a") is False  # nothing new: freed
    assert store.try_lease(KEY, "b", _at(4), TTL) is True


def test_an_expired_lease_is_taken_over(store: Store) -> None:
    assert store.try_lease(KEY, "a", _at(0), TTL)

    assert store.try_lease(KEY, "b", _at(TTL + 1), TTL) is True
    assert store.try_lease(KEY, "c", _at(TTL + 2), TTL) is False  # b holds it now, for a full ttl
    # The old holder waking up must not free or steal the new holder's lease.
    assert store.release_lease(KEY, "a") is False
    assert store.try_lease(KEY, "c", _at(TTL + 3), TTL) is False
    assert store.release_lease(KEY, "b") is True  # c's attempts left their mark for b
    assert store.release_lease(KEY, "b") is False
    assert store.try_lease(KEY, "c", _at(TTL + 4), TTL) is True


def test_the_holder_may_take_its_lease_again_and_extend_it(store: Store) -> None:
    assert store.try_lease(KEY, "a", _at(0), TTL)

    assert store.try_lease(KEY, "a", _at(TTL / 2), TTL) is True
    assert store.try_lease(KEY, "b", _at(TTL + 1), TTL) is False  # extended past the first expiry
    assert store.try_lease(KEY, "b", _at(TTL * 1.5 + 1), TTL) is True


def test_leases_are_per_key(store: Store) -> None:
    assert store.try_lease(KEY, "a", _at(0), TTL)
    assert store.try_lease("sync:sales@acme.test", "b", _at(0), TTL) is True
    assert store.release_lease(KEY, "a") is False  # b's lease elsewhere left no mark here


def test_releasing_a_lease_nobody_holds_is_harmless(store: Store) -> None:
    assert store.release_lease(KEY, "a") is False
    assert store.try_lease(KEY, "b", _at(0), TTL) is True
