"""Ticket views on Firestore: a filtered, sorted keyset page, and the count of a filter as an aggregation query
(count(): the server counts index entries and bills one read per 1,000, it never sends the tickets).

Each sort is one field the ticket document carries (`updated_pos`, `priority_pos`: the keyset key with the id as
its tie-breaker, fixed width so text order is key order; created order is `id`), so a cursor is a range on that
one field. A view's equality filters with that order need a composite index per filter field and sort, in both
directions (a "Newer" page walks up): VIEW_INDEXES, which Terraform declares (infra/terraform/firestore.tf).
"""

from __future__ import annotations

from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.query import Query

from gmail_tickets.adapters.firestore_store.base import FirestoreBase
from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.paging import Key, Page, PageRequest, page_of
from gmail_tickets.domain.ticket_query import TicketFilter, TicketSort, sort_key, time_key

SORT_FIELDS: dict[TicketSort, str] = {
    TicketSort.UPDATED: "updated_pos", TicketSort.CREATED: "id", TicketSort.PRIORITY: "priority_pos"}
FILTER_FIELDS = ("status", "assignee", "brand_id", "connection", "requester_key")
"""Equality filters of views (`tags` too, as array-contains), each indexed with every sort field."""

VIEW_INDEXES: list[tuple[str, list[tuple[str, str]]]] = [
    ("tickets", [(f, "ASC" if f != "tags" else "CONTAINS"), (s, d)])
    for f in (*FILTER_FIELDS, "tags") for s in SORT_FIELDS.values() for d in ("DESC", "ASC")
] + [("outbox", [("state", "ASC"), ("created_at", d)]) for d in ("DESC", "ASC")]
"""Composite indexes the paged lists need (a sort field alone is served by the automatic single-field indexes;
Firestore merges these for a view with several filters): tickets by each filter and sort, notifications by state."""


def position(key: Key) -> str | int:
    """The sort field's value for a keyset key: ints keep their order as fixed-width text."""
    if len(key) == 1:
        return int(key[0])  # type: ignore[arg-type]
    return "|".join(f"{part:015d}" if isinstance(part, int) else str(part) for part in key)


def view_fields(ticket: Ticket) -> dict[str, Any]:
    """What the store adds to a ticket document for the views (tickets._ticket_doc and the upgrade)."""
    return {"updated_pos": position(sort_key(ticket, TicketSort.UPDATED)),
            "priority_pos": position(sort_key(ticket, TicketSort.PRIORITY)),
            "requester_key": ticket.requester.lower()}


def filtered(query: Query, view: TicketFilter) -> Query:
    statuses = list(dict.fromkeys(str(s) for s in view.statuses))
    if len(statuses) == 1:
        query = query.where(filter=FieldFilter("status", "==", statuses[0]))
    elif statuses:
        query = query.where(filter=FieldFilter("status", "in", statuses))
    if view.unassigned:
        query = query.where(filter=FieldFilter("assignee", "==", None))
    elif view.assignee is not None:
        query = query.where(filter=FieldFilter("assignee", "==", view.assignee))
    for field, value in (("brand_id", view.brand_id), ("connection", view.connection),
                         ("requester_key", view.requester)):
        if value is not None:
            query = query.where(filter=FieldFilter(field, "==", value))
    if view.tag is not None:
        query = query.where(filter=FieldFilter("tags", "array_contains", view.tag))
    if view.updated_since is not None:  # `updated_pos` starts with the update time: a range on the sort's field
        query = query.where(filter=FieldFilter("updated_pos", ">=", time_key(view.updated_since)))
    return query


class TicketListRepo(FirestoreBase):
    def ticket_page(self, query: TicketFilter, sort: TicketSort, page: PageRequest) -> Page[Ticket]:
        field = SORT_FIELDS[sort]
        if query.updated_since is not None and sort != TicketSort.UPDATED:
            raise ValueError("updated_since is a range on the updated sort's field: no keyset on another sort")
        page = page.fitting(*map(type, sort_key(Ticket("", "", ""), sort)))  # another sort's: from the top
        direction = firestore.Query.ASCENDING if page.backward else firestore.Query.DESCENDING
        ask = filtered(self._col("tickets"), query)
        if page.after is not None:
            ask = ask.where(filter=FieldFilter(field, ">" if page.backward else "<", position(page.after)))
        found = self._records(Ticket, ask.order_by(field, direction=direction).limit(page.limit + 1))
        return page_of(found, page, lambda t: sort_key(t, sort))

    def count_tickets(self, query: TicketFilter) -> int:
        return self._count_of(filtered(self._col("tickets"), query))
