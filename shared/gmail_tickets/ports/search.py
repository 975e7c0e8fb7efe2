"""Full-text search over tickets: the console's read side (agents only; customers never search).

Both stores answer it from an index they keep in the same transaction as the ticket and comment writes (SQLite:
an FTS5 table; Firestore: term arrays, see docs/search.md). Results come newest ticket first, a page at a time;
the cursor is opaque to callers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.search_query import SearchQuery
from gmail_tickets.domain.ticket_query import TicketFilter


@dataclass(frozen=True)
class SearchPage:
    tickets: list[Ticket] = field(default_factory=list)
    next_cursor: str | None = None  # pass back for the next page; None on the last one


class TicketSearchRepo(Protocol):
    def search_tickets(self, query: SearchQuery, *, filter: TicketFilter, limit: int,
                       cursor: str | None = None) -> SearchPage:
        """Tickets on which every clause of `query` matches the subject, the requester's name or address, or
        a comment's text (public or internal), narrowed by `filter`; newest first, at most `limit`. An empty
        query finds nothing (listing is the views' job). `query.ticket_id` is the service's to act on."""
