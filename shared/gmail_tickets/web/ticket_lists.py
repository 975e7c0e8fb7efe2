"""Agent pages that list things which grow: the ticket views, a requester's tickets, quarantined mail (suspended
mail: suspended.py). Each shows one keyset page with Newer / Older links (an opaque cursor, no offset) and how
many there are in all, so nothing is ever cut off silently. Routes join the tickets blueprint, so their endpoints
keep the `tickets.` names that access.AGENT_ENDPOINTS and the templates use."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request

from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.domain.ticket_query import TicketFilter, TicketSort
from gmail_tickets.domain.ticket_views import DEFAULT_VIEW, VIEWS
from gmail_tickets.services import ticket_list
from gmail_tickets.services.deps import Deps
from gmail_tickets.web import access
from gmail_tickets.web import suspended as _suspended  # noqa: F401  (adds the suspended mail's routes to bp)
from gmail_tickets.web.paging import link, page_request
from gmail_tickets.web.tickets import bp

FILTER_ARGS = ("status", "assignee", "brand", "mailbox", "requester", "tag")


def install(app: Flask) -> None:
    """Register the tickets blueprint once this module has added its routes to it."""
    app.register_blueprint(bp)


def _deps() -> Deps:
    return current_app.extensions["gmail_tickets.deps"]


def _filter_from_args() -> TicketFilter:
    def arg(name: str) -> str | None:
        value = request.args.get(name, "").strip()
        return value or None

    status = arg("status")
    statuses = (TicketStatus(status),) if status in {s.value for s in TicketStatus} else ()
    requester = arg("requester")
    return TicketFilter(statuses=statuses, assignee=arg("assignee"), brand_id=arg("brand"),
                        connection=arg("mailbox"), requester=requester.lower() if requester else None,
                        tag=arg("tag"))


def _sort() -> TicketSort:
    value = request.args.get("sort", TicketSort.UPDATED.value)
    return TicketSort(value) if value in {s.value for s in TicketSort} else TicketSort.UPDATED


def _current_list() -> ticket_list.TicketList:
    return ticket_list.ticket_list(_deps().store, view=request.args.get("view", DEFAULT_VIEW),
                                   extra=_filter_from_args(), sort=_sort(), page=page_request(),
                                   me=access.current().email)


@bp.get("/tickets")
def list_tickets() -> str:
    listing = _current_list()
    store = _deps().store
    return render_template(
        "tickets.html", listing=listing, views=VIEWS, links=link(listing.page, "tickets.list_tickets"),
        sorts=list(TicketSort), statuses=list(TicketStatus), agents=store.list_agents(), brands=store.list_brands(),
        mailboxes=[c.address for c in store.list_connections()],
        chosen={name: request.args.get(name, "") for name in FILTER_ARGS},
        filtered=any(request.args.get(name) for name in FILTER_ARGS))


@bp.get("/api/tickets")
def api_tickets() -> Response:
    """The same list as JSON; the total and the next page's URL ride in headers (X-Total-Count, Link)."""
    listing = _current_list()
    response = jsonify([
        {"id": t.id, "subject": t.subject, "requester": t.requester, "status": t.status, "priority": t.priority,
         "assignee": t.assignee, "tags": t.tags, "version": t.version,
         "created_at": t.created_at.isoformat() if t.created_at else None,
         "received_at": t.received_at.isoformat() if t.received_at else None,
         "updated_at": t.updated_at.isoformat() if t.updated_at else None,
         "last_author": t.last_author or None, "last_author_kind": t.last_author_kind or None}
        for t in listing.page.items
    ])
    response.headers["X-Total-Count"] = str(listing.total)
    urls = link(listing.page, "tickets.api_tickets")
    parts = [f'<{urls[rel]}>; rel="{name}"' for rel, name in (("older", "next"), ("newer", "prev")) if urls[rel]]
    if parts:
        response.headers["Link"] = ", ".join(parts)
    return response


@bp.get("/requesters/<path:address>")
def requester(address: str) -> str:
    page, total = ticket_list.requester_tickets(_deps().store, address, page_request())
    return render_template("requester.html", address=address.strip().lower(), page=page, total=total,
                           name=next((t.requester_name for t in page.items if t.requester_name), ""),
                           links=link(page, "tickets.requester", address=address))


@bp.get("/quarantine")
def quarantine() -> str:
    store = _deps().store
    page = store.quarantine_page(page_request())
    return render_template("quarantine.html", items=page.items, total=store.count_quarantine(),
                           links=link(page, "tickets.quarantine"))
