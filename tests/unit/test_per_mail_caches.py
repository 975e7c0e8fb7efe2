"""The per-process memories of the per-mail path stay bounded and answer by key: our own addresses, the labels
owed, and the Gmail clients per thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from gmail_tickets.adapters.gmail_provider import GmailMailboxProvider
from gmail_tickets.domain.model import Connection, SupportAddress
from gmail_tickets.errors import MailboxError
from gmail_tickets.services.owed_labels import merge_owed, settle
from gmail_tickets.services.own_addresses import OwnAddresses


@dataclass
class Addresses:
    """A ConnectionRepo's support addresses, counting what is asked."""

    stored: set[str]
    asked: list[list[str]] = field(default_factory=list)

    def get_support_addresses(self, addresses: Sequence[str]) -> list[SupportAddress]:
        self.asked.append(list(addresses))
        return [SupportAddress(a) for a in addresses if a in self.stored]


def test_own_addresses_are_read_by_address_and_remembered() -> None:
    store = Addresses({"help@acme.test", "sales@acme.test"})
    own = OwnAddresses(capacity=100, ttl_seconds=60)
    assert own.among(store, ["Help@Acme.test", "ann@customer.test", None, "no-at"]) == {"help@acme.test"}  # type: ignore[arg-type]
    assert store.asked == [["ann@customer.test", "help@acme.test"]]
    assert own.among(store, ["help@acme.test", "ann@customer.test"]) == {"help@acme.test"}
    assert len(store.asked) == 1  # both remembered: ours and not ours
    store.stored.add("ann@customer.test")
    own.forget("ann@customer.test")
    assert own.among(store, ["ann@customer.test"]) == {"ann@customer.test"}


def test_own_addresses_forget_the_least_recently_used_and_the_stale() -> None:
    store = Addresses(set())
    own = OwnAddresses(capacity=3, ttl_seconds=60)
    for n in range(10):
        own.among(store, [f"c{n}@x.test"])
    assert len(own) == 3
    stale = OwnAddresses(capacity=3, ttl_seconds=0)
    stale.among(store, ["a@x.test"])
    stale.among(store, ["a@x.test"])
    assert store.asked[-2:] == [["a@x.test"], ["a@x.test"]]


@dataclass
class LabelledBox:
    calls: list[list[str]] = field(default_factory=list)
    fail: bool = False

    def modify_labels(self, ids: Sequence[str], add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        if self.fail:
            raise MailboxError("refused")
        self.calls.append(list(ids))


T0 = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)


def test_labels_are_owed_on_the_connection_until_a_batch_is_due_then_put_on_in_one_call() -> None:
    connection, box = Connection("a@x", label_id="L"), LabelledBox()
    assert settle(connection, box, ["1", "2"], batch=3, delay_seconds=600, now=T0) == []  # type: ignore[arg-type]
    assert connection.labels_owed == ["1", "2"] and connection.labels_owed_since == T0 and box.calls == []
    later = T0 + timedelta(seconds=10)
    assert settle(connection, box, ["2", "3"], batch=3, delay_seconds=600, now=later) == ["1", "2", "3"]  # type: ignore[arg-type]
    assert box.calls == [["1", "2", "3"]] and connection.labels_owed == [] and connection.labels_owed_since is None


def test_labels_waiting_past_the_delay_go_at_the_next_sync_and_a_refusal_is_dropped() -> None:
    connection, box = Connection("a@x", label_id="L", labels_owed=["1"], labels_owed_since=T0), LabelledBox()
    assert settle(connection, box, [], batch=50, delay_seconds=60, now=T0 + timedelta(seconds=59)) == []  # type: ignore[arg-type]
    assert settle(connection, box, [], batch=50, delay_seconds=60, now=T0 + timedelta(seconds=60)) == ["1"]  # type: ignore[arg-type]
    box.fail = True
    assert settle(connection, box, ["2"], batch=50, delay_seconds=0, now=T0) == ["2"]  # type: ignore[arg-type]
    assert connection.labels_owed == []  # a courtesy: not retried forever


def test_what_a_sync_owes_is_merged_with_the_stored_list_less_what_it_labelled() -> None:
    stored = Connection("a@x", labels_owed=["1", "2"], labels_owed_since=T0)
    synced = Connection("a@x", labels_owed=["3"], labels_owed_since=T0 + timedelta(seconds=5))
    merge_owed(stored, synced, {"2"})
    assert stored.labels_owed == ["1", "3"] and stored.labels_owed_since == T0
    merge_owed(stored, Connection("a@x"), {"1", "3"})
    assert stored.labels_owed == [] and stored.labels_owed_since is None


class Tokens:
    """The MailboxTokens an adapter's credentials read from; a provider only asks it to prefetch."""

    def __init__(self) -> None:
        self.prefetched: list[str] = []

    def prefetch(self, address: str) -> None:
        self.prefetched.append(address)


def test_gmail_clients_per_thread_are_bounded() -> None:
    tokens = Tokens()
    provider = GmailMailboxProvider(tokens, "http://127.0.0.1:1/", max_clients=4)  # type: ignore[arg-type]
    for n in range(10):
        provider(f"m{n}@x.test")
    assert provider.cached_clients() == 4
    first = provider("m9@x.test")
    assert provider("m9@x.test") is first  # the most recent ones are kept
    assert provider("m0@x.test") is not None and provider.cached_clients() == 4
    assert tokens.prefetched.count("m9@x.test") == 3  # every call checks a token can be had
