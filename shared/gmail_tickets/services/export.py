"""Export: every ticket with its comments, its history (each change of status, priority, assignee and tags, with
who and when) and its attachments by reference, one JSON object per ticket, read a page at a time so the whole
help desk never sits in memory. `since` keeps the tickets changed at or after a moment; `cursor` resumes where a
page ended. The API's incremental export (`changes_since`) walks the other way: oldest change first, from a
cursor, the same JSON per ticket."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.paging import BadCursor, Key, PageRequest
from gmail_tickets.domain.paging import cursor as make_cursor
from gmail_tickets.domain.ticket_activity import EPOCH_KEY, updated
from gmail_tickets.domain.ticket_json import comment_json, history_json, ticket_json
from gmail_tickets.domain.ticket_query import TicketFilter, TicketSort, sort_key, time_key
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


@dataclass(frozen=True)
class ChangesPage:
    """Tickets by last change, oldest first; `after_cursor` resumes after the last of them (or where the request
    started, when none came); `end_of_stream`: nothing more to read now (poll again later with `after_cursor`)."""

    tickets: list[dict[str, Any]]
    after_cursor: str
    end_of_stream: bool


def changes_since(deps: Deps, *, cursor: str | None = None, start: datetime | None = None,
                  limit: int = PAGE) -> ChangesPage:
    """The incremental export: tickets whose last change is past `cursor` (or at or after `start`; neither: from
    the first), oldest change first, ordered by (last change, id) so tickets changed at the same instant are all
    read, none twice. A ticket changed again later moves past every cursor given out before, so it comes again.
    Changes younger than GT_API_EXPORT_SETTLE_SECONDS are left for a later call: a transaction that commits
    late, or another instance's clock a little behind, can then not slip a change in behind a cursor already
    handed out. Raises BadCursor for a cursor this function did not make."""
    after = _after(cursor) if cursor else (time_key(start), 0) if start is not None else (EPOCH_KEY, 0)
    page = deps.store.ticket_page(TicketFilter(), TicketSort.UPDATED, PageRequest(limit, after, backward=True))
    rows = sorted(page.items, key=lambda t: sort_key(t, TicketSort.UPDATED))
    horizon = time_key(deps.clock.now() - timedelta(seconds=deps.settings.api_export_settle_seconds))
    settled = [t for t in rows if str(sort_key(t, TicketSort.UPDATED)[0]) <= horizon]
    last = sort_key(settled[-1], TicketSort.UPDATED) if settled else after
    return ChangesPage([ticket_export(deps, t) for t in settled], make_cursor(last, backward=True),
                       end_of_stream=len(settled) < len(rows) or page.newer is None)


def _after(cursor: str) -> Key:
    request = PageRequest.from_cursor(cursor)
    key = request.after
    if (not request.backward or key is None or len(key) != 2 or not isinstance(key[0], str)
            or not isinstance(key[1], int) or isinstance(key[1], bool) or not 0 <= key[1] < 2**63):
        raise BadCursor(cursor)
    return key
