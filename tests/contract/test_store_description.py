"""Contract: a ticket stored with its description (`add_ticket(ticket, description)`, one Firestore document for
both) reads back with the description as its first comment, finds it by search, and keeps it through changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.search_query import parse
from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.domain.ticket_query import TicketFilter
from gmail_tickets.ports import Store, UnitOfWork
from tests.contract.conftest import T0

HELP = "help@acme.test"


def _with_description(store: Store, body: str = "The printer prints zebras.", html: str | None = None) -> int:
    def work(uow: UnitOfWork) -> int:
        description = Comment(ticket_id=0, author="ann@customer.test", body_text=body, body_html=html,
                              created_at=T0, connection=HELP, gmail_message_id="g-1", message_id="m1@x")
        ticket_id = uow.add_ticket(Ticket("Printer", "ann@customer.test", HELP, created_at=T0), description)
        assert description.ticket_id == ticket_id and description.id
        return ticket_id

    return store.atomically(work)


def _found(store: Store, text: str) -> list[int]:
    page = store.search_tickets(parse(text), filter=TicketFilter(), limit=10)
    return [t.id for t in page.tickets if t.id is not None]


def test_the_description_reads_back_first_and_is_searchable(store: Store) -> None:
    ticket_id = _with_description(store)
    store.atomically(lambda uow: uow.add_comment(Comment(
        ticket_id=ticket_id, author="Ana", body_text="Try feeding it horses.", created_at=T0 + timedelta(minutes=1),
        connection=HELP, author_kind="agent")))
    first, reply = store.comments(ticket_id)
    assert (first.body_text, first.gmail_message_id, first.message_id) == ("The printer prints zebras.", "g-1", "m1@x")
    assert first.ticket_id == ticket_id and reply.body_text == "Try feeding it horses."
    assert _found(store, "zebras") == [ticket_id]
    assert _found(store, '"prints zebras"') == [ticket_id]


def test_a_changed_ticket_keeps_its_description_and_its_terms(store: Store) -> None:
    ticket_id = _with_description(store)

    def solve(uow: UnitOfWork) -> None:
        ticket = uow.get_ticket(ticket_id)
        assert ticket is not None
        uow.put_ticket(replace(ticket, status=TicketStatus.OPEN, subject="Printer again"))

    store.atomically(solve)
    [description] = store.comments(ticket_id)
    assert description.body_text == "The printer prints zebras."
    assert _found(store, "zebras") == [ticket_id] and _found(store, "again") == [ticket_id]
    ticket = store.get_ticket(ticket_id)
    assert ticket is not None and ticket.status == TicketStatus.OPEN


def test_a_large_description_reads_back_whole(store: Store) -> None:
    body = "zebra " * 200_000  # 1.2 MB: beyond one document, kept in chunks
    ticket_id = _with_description(store, body=body, html="<p>" + body + "</p>")
    [description] = store.comments(ticket_id)
    assert description.body_text == body and description.body_html == "<p>" + body + "</p>"
