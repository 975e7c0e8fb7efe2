"""How soon a support address added or removed by another process is known as ours: at most
`GT_SUPPORT_ADDRESS_CACHE_SECONDS` after it was committed (services/own_addresses.py), on both stores."""

from __future__ import annotations

from dataclasses import dataclass

from gmail_tickets.domain.model import SupportAddress
from gmail_tickets.ports import Store
from gmail_tickets.services.own_addresses import OwnAddresses
from gmail_tickets.settings import Settings

TTL = Settings().support_address_cache_seconds
NEW = "help@new.example"


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_address_added_elsewhere_is_ours_at_most_the_cache_time_after_its_commit(store: Store) -> None:
    clock = Clock()
    ingest = OwnAddresses(ttl_seconds=TTL, clock=clock)  # a process that handles mail
    assert ingest.among(store, [NEW]) == frozenset()  # read at 1000: not ours
    clock.now += 5
    store.save_support_address(SupportAddress(NEW))  # committed by another process (a connect) at 1005
    assert ingest.among(store, [NEW]) == frozenset()  # the remembered answer, no read
    clock.now = 1000 + TTL  # the last moment that answer is used: earlier than TTL after the commit
    assert ingest.among(store, ["Help@New.example"]) == frozenset()
    clock.now += 0.001
    assert ingest.among(store, [NEW]) == {NEW}  # read again: known
    console = OwnAddresses(ttl_seconds=TTL, clock=clock)  # a process that had never asked knows at once
    assert console.among(store, [NEW]) == {NEW}


def test_a_removed_address_stops_being_ours_within_the_same_bound(store: Store) -> None:
    store.save_support_address(SupportAddress(NEW))
    clock = Clock()
    ingest = OwnAddresses(ttl_seconds=TTL, clock=clock)
    assert ingest.among(store, [NEW]) == {NEW}
    store.delete_support_address(NEW)
    clock.now += TTL
    assert ingest.among(store, [NEW]) == {NEW}
    clock.now += 0.001
    assert ingest.among(store, [NEW]) == frozenset()
    ingest.among(store, [NEW])
    store.save_support_address(SupportAddress(NEW))
    ingest.forget(NEW)  # what the process that saved it does: its own change at once
    assert ingest.among(store, [NEW]) == {NEW}
