"""Who spoke last on a ticket in public: what the console's "customer replied" mark shows.

Kept on the ticket (`Ticket.last_reply_by`) so a list of tickets shows the mark without reading any comments.
Internal notes do not count: the customer is still waiting for an answer they can read.
"""

from __future__ import annotations

from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.ticket_fields import TicketStatus

CUSTOMER = "customer"
AGENT = "agent"


def note_reply(ticket: Ticket, author_kind: str) -> bool:
    """Record a public comment by `author_kind` ("customer" or "agent"); True when the ticket changed (so the
    caller writes it: a customer's second mail in a row rewrites nothing)."""
    if ticket.last_reply_by == author_kind:
        return False
    ticket.last_reply_by = author_kind
    return True


def customer_replied(ticket: Ticket) -> bool:
    """The mark: the customer wrote last, on a ticket past "new" (a new ticket is waiting for an agent anyway)."""
    return ticket.last_reply_by == CUSTOMER and ticket.status != TicketStatus.NEW
