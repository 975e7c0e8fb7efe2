"""Export: every ticket with its comments, its history (each change of status, priority, assignee and tags, with
who and when) and its attachments by reference, one JSON object per ticket, read a page at a time so the whole
help desk never sits in memory. `since` keeps the tickets changed at or after a moment; `cursor` resumes where a
page ended (the API's incremental export reuses it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.paging import PageRequest
from gmail_tickets.domain.ticket_activity import updated
from gmail_tickets.domain.ticket_json import comment_json, history_json, ticket_json
from gmail_tickets.domain.ticket_query import TicketFilter, TicketSort
from gmail_tickets.services.deps import Deps

PAGE = 100


@dataclass(frozen=True)
class ExportPage:
    """Tickets, last changed first, each whole; `cursor` names the next page (None: this was the last)."""

    tickets: list[dict[str, Any]] = field(default_factory=list)
    cursor: str | None = None


def export_tickets(deps: Deps, since: datetime | None = None, cursor: str | None = None, *,
                   limit: int = PAGE) -> ExportPage:
    """One page of the export: tickets by last change, newest first, down to `since` (inclusive)."""
    page = deps.store.ticket_page(TicketFilter(), TicketSort.UPDATED, PageRequest.from_cursor(cursor, limit))
    kept = [t for t in page.items if since is None or _changed(t) >= since]
    reached_since = len(kept) < len(page.items)
    return ExportPage([ticket_export(deps, t) for t in kept], None if reached_since else page.older)


def every_ticket(deps: Deps, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """The whole export, page after page."""
    cursor: str | None = None
    while True:
        page = export_tickets(deps, since, cursor)
        yield from page.tickets
        if page.cursor is None:
            return
        cursor = page.cursor


def ticket_export(deps: Deps, ticket: Ticket) -> dict[str, Any]:
    assert ticket.id is not None
    return {**ticket_json(ticket), "history": history_json(ticket),
            "comments": [comment_json(c) for c in deps.store.comments(ticket.id)]}


def _changed(ticket: Ticket) -> datetime:
    return updated(ticket) or datetime.min.replace(tzinfo=UTC)
