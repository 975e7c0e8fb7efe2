"""Who wrote last on a ticket and when: what moves a ticket up the "updated" sort and what the list shows.

Field changes bump `updated_at` in ticket_lifecycle; a comment (a customer's mail or an agent's reply or note)
bumps it here, with its author. Records written before these fields read `updated_at` as None: `updated_key`
falls back to created_at, so an old ticket still sorts where it belongs.
"""

from __future__ import annotations

from datetime import datetime

from gmail_tickets.domain.last_reply import note_reply
from gmail_tickets.domain.model import Comment, Ticket

EPOCH_KEY = "0000-00-00T00:00:00.000000+00:00"
"""Sorts below every real time: a ticket that knows no time at all goes last."""


def note_comment(ticket: Ticket, comment: Comment, *, now: datetime) -> None:
    """The comment's author becomes the ticket's last writer; the ticket is updated `now` (a comment's own time
    can be a mail's old Date, which must not move a ticket down)."""
    ticket.last_author = comment.author
    ticket.last_author_kind = comment.author_kind
    ticket.last_activity_at = comment.created_at
    ticket.updated_at = now if ticket.updated_at is None else max(ticket.updated_at, now)
    if comment.public:
        note_reply(ticket, comment.author_kind)  # an internal note leaves the "customer replied" mark as it was


def updated(ticket: Ticket) -> datetime | None:
    """When the ticket last changed: `updated_at`, else (an older record) when it was made."""
    return ticket.updated_at or ticket.created_at
