"""The per-process memories of the per-mail path stay bounded and answer by key: our own addresses, the labels
owed, and the Gmail clients per thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gmail_tickets.adapters.gmail_provider import GmailMailboxProvider
from gmail_tickets.domain.model import SupportAddress
from gmail_tickets.errors import MailboxError
from gmail_tickets.services.owed_labels import OwedLabels
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


def test_labels_are_owed_until_a_batch_is_due_then_put_on_in_one_call() -> None:
    owed, box = OwedLabels(), LabelledBox()
    assert owed.settle("a@x", "L", box, ["1", "2"], batch=3, delay_seconds=600) == 0  # type: ignore[arg-type]
    assert owed.owed("a@x") == 2 and box.calls == []
    assert owed.settle("a@x", "L", box, ["2", "3"], batch=3, delay_seconds=600) == 3  # type: ignore[arg-type]
    assert box.calls == [["1", "2", "3"]] and owed.owed("a@x") == 0


def test_labels_waiting_past_the_delay_go_at_the_next_sync_and_a_refusal_is_dropped() -> None:
    owed, box = OwedLabels(), LabelledBox()
    assert owed.settle("a@x", "L", box, ["1"], batch=50, delay_seconds=0) == 1  # type: ignore[arg-type]
    box.fail = True
    assert owed.settle("a@x", "L", box, ["2"], batch=50, delay_seconds=0) == 0  # type: ignore[arg-type]
    assert owed.owed("a@x") == 0  # a courtesy: not retried forever


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
