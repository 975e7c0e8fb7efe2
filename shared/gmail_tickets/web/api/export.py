"""/api/v1/export/tickets: the incremental export (admins): tickets changed since a cursor, oldest change first,
each whole as `gmail-tickets export` writes it (services/export.py makes the JSON; the models here only describe
and check it for the OpenAPI document)."""

from __future__ import annotations

from datetime import UTC, datetime

from gmail_tickets.domain.paging import BadCursor
from gmail_tickets.services import export
from gmail_tickets.web.api.calls import Call
from gmail_tickets.web.api.export_models import ExportedTicket, ExportPage, ExportQuery
from gmail_tickets.web.api.problems import refused_field
from gmail_tickets.web.api.registry import REGISTRY


@REGISTRY.add("GET", "/export/tickets", summary="Incremental export: tickets changed since a cursor (admins)",
              tag="export", query=ExportQuery, response=ExportPage, admin=True)
def export_tickets(call: Call) -> ExportPage:
    """Oldest change first, each ticket with its history and comments (attachments by reference). Start with
    `start_time` (or nothing: from the first ticket), then pass `after_cursor` back as `cursor` until
    `end_of_stream`; keep the last cursor and poll with it later for what changed since. A ticket changed again
    comes again, later in the stream. Changes younger than a settle time (30 s by default) come on a later call."""
    q: ExportQuery = call.query
    if q.cursor is not None and q.start_time is not None:
        raise refused_field("query.start_time", "Send `cursor` or `start_time`, not both.")
    start = datetime.fromtimestamp(q.start_time, UTC) if q.start_time is not None else None
    try:
        page = export.changes_since(call.deps, cursor=q.cursor, start=start, limit=q.limit)
    except BadCursor as error:
        raise refused_field("query.cursor", "That cursor is not an `after_cursor` of this export.") from error
    return ExportPage(tickets=[ExportedTicket.model_validate(t) for t in page.tickets], count=len(page.tickets),
                      after_cursor=page.after_cursor, end_of_stream=page.end_of_stream)
