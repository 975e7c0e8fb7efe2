"""Searching tickets from the console: parse the search box, open the ticket it names ("#123", or a bare number
that is a ticket id), else ask the store's index. Agents only: customers never search."""

from __future__ import annotations

from dataclasses import dataclass, field

from gmail_tickets.domain.search_query import parse
from gmail_tickets.domain.ticket_query import TicketFilter
from gmail_tickets.ports import SearchPage, Store

PAGE_SIZE = 25


@dataclass(frozen=True)
class SearchResult:
    page: SearchPage = field(default_factory=SearchPage)
    jump_to: int | None = None  # the ticket the query names: open it instead of listing results


def search(store: Store, text: str, *, filter: TicketFilter | None = None, limit: int = PAGE_SIZE,
           cursor: str | None = None) -> SearchResult:
    """One page of tickets matching `text`, or the ticket it names. A number that is no ticket's id is searched
    for as text (it may be an order number in a mail)."""
    query = parse(text)
    if query.ticket_id is not None and cursor is None and store.get_ticket(query.ticket_id) is not None:
        return SearchResult(jump_to=query.ticket_id)
    return SearchResult(page=store.search_tickets(query, filter=filter or TicketFilter(), limit=limit, cursor=cursor))
