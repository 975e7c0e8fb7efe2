"""/api/v1/tickets: list (a view, its filters, cursor paging), search, get, create, update."""

from __future__ import annotations

from gmail_tickets.domain.paging import BadCursor, PageRequest
from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.domain.ticket_lifecycle import FieldChanges
from gmail_tickets.domain.ticket_query import TicketFilter, TicketSort
from gmail_tickets.services import ticket_changes, ticket_create, ticket_list, ticket_search
from gmail_tickets.web.api.calls import Answer, Call
from gmail_tickets.web.api.models import (
    SearchQuery,
    TicketCreate,
    TicketOut,
    TicketPage,
    TicketQuery,
    TicketUpdate,
)
from gmail_tickets.web.api.preconditions import etag, expected, precondition_failed, stale
from gmail_tickets.web.api.problems import Problem, not_found, refused_field
from gmail_tickets.web.api.registry import PREFIX, REGISTRY

TAG = "tickets"


def page_request(cursor: str | None, limit: int) -> PageRequest:
    try:
        return PageRequest.from_cursor(cursor, limit)
    except BadCursor as error:
        raise refused_field("query.cursor", "That cursor is not one this API gave out.") from error


@REGISTRY.add("GET", "/tickets", summary="List tickets", tag=TAG, query=TicketQuery, response=TicketPage)
def list_tickets(call: Call) -> TicketPage:
    """One page of a view (default: all open), narrowed by the filters, with how many match in all. With
    `updated_since`, what changed since a moment: a sync polls with the last `updated_at` it saw."""
    q: TicketQuery = call.query
    if q.updated_since is not None and q.sort != TicketSort.UPDATED:
        raise refused_field("query.updated_since", "updated_since lists by update time: use sort=updated.")
    extra = TicketFilter(statuses=(q.status,) if q.status else (), assignee=q.assignee, brand_id=q.brand,
                         connection=q.support_address, requester=q.requester.strip().lower() if q.requester else None,
                         tag=q.tag, updated_since=q.updated_since)
    listing = ticket_list.ticket_list(call.deps.store, view=q.view.value, extra=extra, sort=q.sort,
                                      page=page_request(q.cursor, q.limit), me=call.agent.email)
    return TicketPage(items=[TicketOut.of(t) for t in listing.page.items], total=listing.total,
                      next_cursor=listing.page.older, prev_cursor=listing.page.newer)


@REGISTRY.add("GET", "/tickets/search", summary="Search tickets", tag=TAG, query=SearchQuery, response=TicketPage)
def search_tickets(call: Call) -> TicketPage:
    """Tickets matching the words (subject, requester, every comment); `#123` finds that ticket."""
    q: SearchQuery = call.query
    result = ticket_search.search(call.deps.store, q.q, limit=q.limit, cursor=q.cursor, filter=TicketFilter(
        statuses=(q.status,) if q.status else (), assignee=q.assignee, tag=q.tag))
    if result.jump_to is not None:
        ticket = call.deps.store.get_ticket(result.jump_to)
        return TicketPage(items=[TicketOut.of(ticket)] if ticket else [], total=None, next_cursor=None)
    return TicketPage(items=[TicketOut.of(t) for t in result.page.tickets], total=None,
                      next_cursor=result.page.next_cursor)


@REGISTRY.add("GET", "/tickets/<int:ticket_id>", summary="Get a ticket", tag=TAG, response=TicketOut, etag=True)
def get_ticket(call: Call, ticket_id: int) -> Answer:
    """With `ETag: "<version>"`: send it back as If-Match on an update to refuse lost updates (412)."""
    ticket = call.deps.store.get_ticket(ticket_id)
    if ticket is None:
        raise not_found(f"There is no ticket #{ticket_id}.")
    return Answer(TicketOut.of(ticket), etag=etag(ticket.version))


@REGISTRY.add("POST", "/tickets", summary="Create a ticket", tag=TAG, body=TicketCreate, response=TicketOut,
              status=201)
def create_ticket(call: Call) -> Answer:
    """A customer's request from a web form or another channel: the requester gets the acknowledgement mail
    (the brand's request-received trigger), and replies thread as with any mailed ticket."""
    b: TicketCreate = call.body
    try:
        ticket = ticket_create.create_ticket(call.deps, ticket_create.NewTicket(
            requester=b.requester, subject=b.subject, body=b.body, requester_name=b.requester_name,
            support_address=b.support_address))
    except ticket_create.CreateRefused as error:
        raise refused_field(f"body.{error.field}", str(error)) from error
    return Answer(TicketOut.of(ticket), 201, f"{PREFIX}/tickets/{ticket.id}")


@REGISTRY.add("PATCH", "/tickets/<int:ticket_id>", summary="Update a ticket", tag=TAG, body=TicketUpdate,
              response=TicketOut, etag=True)
def update_ticket(call: Call, ticket_id: int) -> Answer:
    """Change status, priority, assignee, tags (fields left out stay as they are). With `version` (or If-Match:
    the ETag), a ticket changed since is refused (409; 412 for If-Match) instead of overwritten. Solving or
    assigning mails as in the console."""
    b: TicketUpdate = call.body
    wanted = expected(b.version)
    changes = FieldChanges(status=TicketStatus(b.status.value) if b.status else None, priority=b.priority,
                           assignee=b.assignee if "assignee" in b.model_fields_set else FieldChanges.keep(),
                           tags=b.tags)
    try:
        ticket_changes.update_ticket(call.deps, ticket_id, changes, actor=call.agent.label, version=wanted.version,
                                     actor_email=call.agent.email)
    except ticket_changes.NoSuchTicket as error:
        raise not_found(str(error)) from error
    except ticket_changes.EditConflict as conflict:
        detail = stale(conflict)
        raise (precondition_failed(detail) if wanted.from_header else Problem(409, "Conflict", detail)) from conflict
    except ticket_changes.ChangeRefused as error:
        raise refused_field("body", str(error)) from error
    return get_ticket(call, ticket_id)
