"""Contract: a ticket knows which tickets mention it (strangers' answers opened as tickets of their own)."""

from __future__ import annotations

from gmail_tickets.domain.model import Ticket
from gmail_tickets.ports import Store


def _ticket(store: Store, mentions: int | None = None) -> int:
    ticket = Ticket(subject="s", requester="ann@customer.test", connection="help@acme.test", mentions=mentions)
    return store.atomically(lambda uow: uow.add_ticket(ticket))


def test_tickets_mentioning_finds_only_those_that_mention_it_oldest_first(store: Store) -> None:
    first, other = _ticket(store), _ticket(store)
    a = _ticket(store, mentions=first)
    _ticket(store, mentions=other)
    b = _ticket(store, mentions=first)

    assert store.tickets_mentioning(first) == [a, b]
    assert store.tickets_mentioning(first, limit=1) == [a]
    assert store.tickets_mentioning(a) == []
