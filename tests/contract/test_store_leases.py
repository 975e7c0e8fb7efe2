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


# --------------------------------------------------------------------------- short leases: renewal and watchers


def test_a_renewal_keeps_the_lease_past_its_first_expiry(store: Store) -> None:
    assert store.try_lease(KEY, "a", _at(0), TTL)
    assert store.renew_lease(KEY, "a", _at(TTL * 2 / 3), TTL) is True
    assert store.try_lease(KEY, "b", _at(TTL + 1), TTL) is False  # a live holder keeps it through its heartbeats
    assert store.release_lease(KEY, "a") is True  # b's mark survived the renewal
    assert store.release_lease(KEY, "a") is False


def test_a_renewal_never_steals_a_lease_taken_over_by_another_holder(store: Store) -> None:
    """The old holder's heartbeat, late after its lease lapsed and b took over: b keeps the lease, unmarked."""
    assert store.try_lease(KEY, "a", _at(0), TTL)
    assert store.try_lease(KEY, "b", _at(TTL + 1), TTL) is True
    assert store.renew_lease(KEY, "a", _at(TTL + 2), TTL) is False
    assert store.try_lease(KEY, "c", _at(TTL * 2), TTL) is False  # still b's: a's renewal did not move it
    assert store.release_lease(KEY, "b") is True  # c's mark, not one a's renewal would have left
    assert store.release_lease(KEY, "b") is False
    assert store.try_lease(KEY, "c", _at(TTL * 2 + 1), TTL) is True


def test_a_renewal_never_recreates_a_released_lease(store: Store) -> None:
    assert store.try_lease(KEY, "a", _at(0), TTL)
    assert store.release_lease(KEY, "a") is False  # freed
    assert store.renew_lease(KEY, "a", _at(1), TTL) is False  # a heartbeat racing the release
    assert store.try_lease(KEY, "b", _at(2), TTL) is True


def test_a_dead_holder_is_replaced_after_one_lease_by_the_caller_that_watched_it(store: Store) -> None:
    """Simulated death: a takes the lease and never renews. The first caller that finds it busy is told to come
    back at its expiry; later callers are not (no storm); coming back after the expiry takes it over."""
    assert store.try_lease(KEY, "a", _at(0), TTL)
    first = store.take_lease(KEY, "b", _at(5), TTL)
    assert (first.taken, first.come_back_at) == (False, _at(TTL))
    assert store.take_lease(KEY, "c", _at(6), TTL).come_back_at is None
    assert store.take_lease(KEY, "d", _at(7), TTL).come_back_at is None
    assert store.take_lease(KEY, "b2", _at(TTL), TTL).taken is True  # the watcher, back at the expiry
    assert store.release_lease(KEY, "b2") is False  # the dead holder's mark is spent: the take-over synced anyway


def test_a_live_holder_is_watched_by_one_caller_per_lease(store: Store) -> None:
    assert store.try_lease(KEY, "a", _at(0), TTL)
    assert store.take_lease(KEY, "b", _at(1), TTL).come_back_at == _at(TTL)
    assert store.renew_lease(KEY, "a", _at(TTL / 3), TTL) is True
    assert store.renew_lease(KEY, "a", _at(TTL * 2 / 3), TTL) is True
    back = store.take_lease(KEY, "b", _at(TTL + 1), TTL)  # the watcher, back: a renewed, so it watches once more
    assert (back.taken, back.come_back_at) == (False, _at(TTL * 5 / 3))
    assert store.take_lease(KEY, "c", _at(TTL + 2), TTL).come_back_at is None


def test_the_watching_event_back_before_the_expiry_still_watches(store: Store) -> None:
    """Pub/Sub may bring an event back sooner than asked (the emulator's first redelivery comes after ~1 s) or
    twice: known by its id, the watching event is told again to come back; an event with another id, or none, is
    not. Else it would be acknowledged while nobody watches a dead holder's lease (a stall until the sweep)."""
    assert store.try_lease(KEY, "a", _at(0), TTL)
    assert store.take_lease(KEY, "b", _at(5), TTL, watcher="message-1").come_back_at == _at(TTL)
    early = store.take_lease(KEY, "b-again", _at(6), TTL, watcher="message-1")
    assert (early.taken, early.come_back_at) == (False, _at(TTL))
    assert store.take_lease(KEY, "c", _at(7), TTL, watcher="message-2").come_back_at is None
    assert store.take_lease(KEY, "d", _at(8), TTL).come_back_at is None
    assert store.take_lease(KEY, "b-late", _at(TTL), TTL, watcher="message-1").taken is True


def test_lease_held_reads_whether_someone_holds_it_and_writes_nothing(store: Store) -> None:
    assert store.lease_held(KEY, _at(0)) is False  # never taken
    assert store.try_lease(KEY, "a", _at(0), TTL)
    assert store.lease_held(KEY, _at(1)) is True
    assert store.lease_held(KEY, _at(TTL + 1)) is False  # lapsed: its holder is gone
    assert store.lease_held(KEY, _at(2)) is True  # the read changed nothing: a's lease, unmarked
    assert store.release_lease(KEY, "a") is False  # no look-again mark was left by the reads
    assert store.lease_held(KEY, _at(3)) is False
