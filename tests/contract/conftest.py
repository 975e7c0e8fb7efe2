"""The Store contract: every test in test_store_*.py runs once per Store adapter.

The tests speak only the `Store` / `UnitOfWork` ports, so passing them proves the embedded and the cloud
store are interchangeable for the services. Units of work in the tests read before they write, as
Firestore requires, and do nothing but read and write, because a Store may run them more than once.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from gmail_tickets.domain.model import Comment, LedgerEntry, Outcome, Ticket
from gmail_tickets.ports import Store, UnitOfWork

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
"""A fixed instant with microseconds, so round-trips that lose precision show up."""

RecordTicket = Callable[..., int]


@pytest.fixture
def record_ticket(store: Store) -> RecordTicket:
    """Create a ticket with its first comment and ledger entry in one unit of work, as ingest does.

    Returns the new ticket id. Gmail message ids default to unique ones.
    """
    counter = itertools.count(1)

    def record(
        connection: str = "support@example.com",
        *,
        gmail_message_id: str | None = None,
        thread_id: str | None = None,
        rfc_message_id: str | None = None,
        created_at: datetime = T0,
        subject: str = "Printer on fire",
    ) -> int:
        message_id = gmail_message_id or f"auto-{next(counter):04d}"

        def work(uow: UnitOfWork) -> int:
            ticket = Ticket(subject=subject, requester="ann@customer.test", connection=connection,
                            created_at=created_at)
            ticket_id = uow.add_ticket(ticket)
            comment = Comment(ticket_id=ticket_id, author="ann@customer.test", body_text="It smokes.",
                              created_at=created_at, connection=connection, gmail_message_id=message_id,
                              message_id=rfc_message_id)
            comment_id = uow.add_comment(comment)
            uow.add_ledger(
                LedgerEntry(connection=connection, gmail_message_id=message_id, outcome=Outcome.TICKET,
                            ticket_id=ticket_id, comment_id=comment_id, rfc_message_id=rfc_message_id,
                            created_at=created_at),
                thread_id=thread_id,
            )
            return ticket_id

        return store.atomically(work)

    return record
