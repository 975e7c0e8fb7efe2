"""Who spoke last in public, and the "customer replied" mark it gives (domain/last_reply.py)."""

from __future__ import annotations

from gmail_tickets.domain.last_reply import AGENT, CUSTOMER, customer_replied, note_reply
from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.ticket_fields import TicketStatus


def test_the_mark_follows_the_last_public_reply_on_tickets_past_new() -> None:
    ticket = Ticket("s", "ann@x.test", "help@acme.test", last_reply_by=CUSTOMER)
    assert not customer_replied(ticket)  # a new ticket waits for an agent anyway
    ticket.status = TicketStatus.PENDING
    assert note_reply(ticket, AGENT) and not customer_replied(ticket)
    assert note_reply(ticket, CUSTOMER) and customer_replied(ticket)
    assert not note_reply(ticket, CUSTOMER)  # a second mail in a row changes nothing: nothing to write
    assert not customer_replied(Ticket("s", "ann@x.test", "help@acme.test", status=TicketStatus.OPEN))  # old record
