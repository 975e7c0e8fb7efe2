"""The console's search: /search?q=… lists matching tickets a page at a time, or opens the ticket "#123" names.
Agents may search (web/access.py); the query string also takes a view's filters (status, assignee, tag, …)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.domain.ticket_query import TicketFilter
from gmail_tickets.services import ticket_search
from gmail_tickets.services.deps import Deps

bp = Blueprint("search", __name__)

MAX_QUERY = 500  # characters of the search box read; more is no query anyone types
FILTER_ARGS = ("status", "assignee", "unassigned", "brand", "connection", "requester", "tag")


def _filter() -> TicketFilter:
    """A view's filter from the query string; unknown statuses are ignored rather than refused."""
    args = request.args
    statuses = tuple(TicketStatus(s) for s in args.getlist("status") if s in TicketStatus.__members__.values())
    return TicketFilter(
        statuses=statuses, assignee=args.get("assignee") or None, unassigned=args.get("unassigned") == "1",
        brand_id=args.get("brand") or None, connection=args.get("connection") or None,
        requester=(args.get("requester") or "").strip().lower() or None, tag=args.get("tag") or None)


@bp.get("/search")
def search_tickets() -> Response | str:
    deps: Deps = current_app.extensions["gmail_tickets.deps"]
    text = request.args.get("q", "")[:MAX_QUERY]
    cursor = request.args.get("cursor") or None
    if cursor is not None and not cursor.isdigit():
        cursor = None
    result = ticket_search.search(deps.store, text, filter=_filter(), cursor=cursor)
    if result.jump_to is not None:
        return redirect(url_for("tickets.show_ticket", ticket_id=result.jump_to))  # type: ignore[return-value]
    kept = {name: request.args.getlist(name) for name in FILTER_ARGS if name in request.args}
    next_url = (url_for("search.search_tickets", q=text, cursor=result.page.next_cursor, **kept)
                if result.page.next_cursor else None)
    return render_template("search.html", query=text, tickets=result.page.tickets, next_url=next_url,
                           first_page=cursor is None, first_url=url_for("search.search_tickets", q=text, **kept))
