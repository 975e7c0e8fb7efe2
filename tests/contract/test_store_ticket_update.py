"""Contract: `UnitOfWork.put_ticket` replaces a stored ticket whole, inside the unit's transaction.

A customer's reply that Cc's new people makes them followers of the existing ticket, so the agent's next reply
reaches them: that is a read-modify-write of the ticket in the reply's own unit of work. A store that lost the
update, kept half of it after a failed unit, or dropped what it indexes the ticket by would either leave those
people out of the conversation or hide the ticket from its mailbox's list.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gmail_tickets.domain.model import Ticket
from gmail_tickets.ports import Store, UnitOfWork

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
HELP = "help@acme.test"


class _Abandon(Exception):
    """Raised inside a unit of work to make it fail after its writes."""


def _new_ticket(store: Store) -> Ticket:
    def work(uow: UnitOfWork) -> Ticket:
        ticket = Ticket("Printer on fire", "ann@customer.test", HELP, brand_id="acme", requester_name="Ann",
                        followers=["dave@customer.test"], created_at=T0, gmail_thread_id="thread-1")
        uow.add_ticket(ticket)
        return ticket

    return store.atomically(work)


def test_followers_and_status_are_updated_and_read_back(store: Store) -> None:
    ticket = _new_ticket(store)
    writes = store.write_count

    def update(uow: UnitOfWork) -> Ticket:
        stored = uow.get_ticket(ticket.id)
        assert stored is not None
        stored.followers = [*stored.followers, "Eve@Customer.test"]
        stored.status = "open"
        uow.put_ticket(stored)
        return stored

    updated = store.atomically(update)

    assert store.write_count - writes == 1  # one row / document: the bench counts writes per mail
    assert store.get_ticket(ticket.id) == updated
    assert updated.followers == ["dave@customer.test", "Eve@Customer.test"] and updated.status == "open"
    assert (updated.subject, updated.requester, updated.brand_id, updated.created_at, updated.gmail_thread_id) == (
        ticket.subject, ticket.requester, ticket.brand_id, ticket.created_at, ticket.gmail_thread_id)
    assert store.atomically(lambda uow: uow.get_ticket(ticket.id)) == updated
    # Still found the ways tickets are listed (Firestore keeps its own index field on the document).
    assert store.list_tickets(connection=HELP) == [updated]
    assert store.list_tickets() == [updated]


def test_a_failed_unit_of_work_leaves_the_ticket_unchanged(store: Store) -> None:
    ticket = _new_ticket(store)

    def update_then_fail(uow: UnitOfWork) -> None:
        stored = uow.get_ticket(ticket.id)
        assert stored is not None
        stored.followers = [*stored.followers, "eve@customer.test"]
        stored.status = "solved"
        uow.put_ticket(stored)
        raise _Abandon

    with pytest.raises(_Abandon):
        store.atomically(update_then_fail)

    assert store.get_ticket(ticket.id) == ticket


def test_a_missing_ticket_is_not_created(store: Store) -> None:
    ticket = _new_ticket(store)
    ghost = Ticket("Never stored", "ann@customer.test", HELP, created_at=T0, id=ticket.id + 1000)

    def put_ghost(uow: UnitOfWork) -> None:
        assert uow.get_ticket(ghost.id) is None  # read first, as the port asks
        uow.put_ticket(ghost)

    with pytest.raises(KeyError):
        store.atomically(put_ghost)

    assert store.get_ticket(ghost.id) is None
    assert store.list_tickets() == [ticket]
