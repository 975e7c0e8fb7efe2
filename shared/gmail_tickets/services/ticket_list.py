"""The ticket list an agent sees: one view, narrowed by their filters, sorted, one keyset page, with every view's
count beside it. The console and the bench both call this, so the bench times what an agent waits for."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.paging import Page, PageRequest
from gmail_tickets.domain.ticket_query import TicketFilter, TicketSort
from gmail_tickets.domain.ticket_views import BY_KEY, DEFAULT_VIEW, VIEWS, TicketView, narrowed
from gmail_tickets.ports import Store

_ASKING = ThreadPoolExecutor(max_workers=12, thread_name_prefix="ticket-list")
"""The page and its counts are asked at once: each is one index read (a Firestore round trip), so the list waits
for the slowest, not for their sum."""

OTHER_TICKETS = 5
"""How many of the requester's other tickets the ticket page shows (a link leads to all of them)."""


@dataclass(frozen=True)
class TicketList:
    view: TicketView
    query: TicketFilter
    sort: TicketSort
    page: Page[Ticket]
    total: int  # how many the view and filters match, not just this page
    counts: dict[str, int] = field(default_factory=dict)  # each view's count, by key
    suspended: int = 0


def ticket_list(store: Store, *, view: str, extra: TicketFilter, sort: TicketSort, page: PageRequest,
                me: str) -> TicketList:
    """Counts are index-served (COUNT over an index, a Firestore aggregation): one per view and one for the
    list, never a read of the tickets they count; they run side by side with the page's query."""
    chosen = BY_KEY.get(view) or BY_KEY[DEFAULT_VIEW]
    query = narrowed(chosen.filter(me), extra)
    listed = _ASKING.submit(store.ticket_page, query, sort, page)
    own = None if query == chosen.filter(me) else _ASKING.submit(store.count_tickets, query)
    suspended = _ASKING.submit(store.count_suspended)
    counts = dict(zip((v.key for v in VIEWS), _ASKING.map(store.count_tickets, (v.filter(me) for v in VIEWS)),
                      strict=True))
    total = counts[chosen.key] if own is None else own.result()
    return TicketList(chosen, query, sort, listed.result(), total, counts, suspended.result())


def requester_tickets(store: Store, requester: str, page: PageRequest) -> tuple[Page[Ticket], int]:
    """Everything one person asked, most recently updated first, and how many there are."""
    query = TicketFilter(requester=requester.strip().lower())
    return store.ticket_page(query, TicketSort.UPDATED, page), store.count_tickets(query)


def other_tickets(store: Store, ticket: Ticket) -> tuple[list[Ticket], int]:
    """The requester's other tickets for the ticket page (a few), and how many they have in all."""
    page, total = requester_tickets(store, ticket.requester, PageRequest(OTHER_TICKETS + 1))
    return [t for t in page.items if t.id != ticket.id][:OTHER_TICKETS], max(total - 1, 0)
