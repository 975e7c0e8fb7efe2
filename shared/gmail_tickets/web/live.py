"""Live pages: what the console's script (static/live.js) polls to update lists and the open ticket in place.

Why short polling and not Server-Sent Events or WebSockets: in the cloud the console is a Cloud Function behind
Identity-Aware Proxy, and a function instance serves one request at a time for at most its timeout, billed while
open: a held connection per open tab would pin an instance each (and IAP's and the Functions front end's own
timeouts would cut it anyway). A poll every POLL_SECONDS of one tiny JSON answer works through IAP as any page
does, on any instance, and costs one store read when nothing changed: the change mark of what the page shows
(domain/change_marks.py) — plus, on a ticket page, one read of who is typing there (ports/presence.py). The
answer carries an ETag, so an unchanged poll is a bodiless 304. When the mark moves the script fetches the page
itself again and swaps in what changed, leaving alone anything the agent is typing in.

Without script nothing of this runs and the pages are what they always were.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Request, Response, current_app, g, jsonify, request

from gmail_tickets.domain import change_marks
from gmail_tickets.domain.last_reply import customer_replied
from gmail_tickets.ports.presence import Presence
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.presence import RENEW_SECONDS, MemoryPresence, typing_until
from gmail_tickets.web import access

bp = Blueprint("live", __name__)

POLL_SECONDS = 5
LIST_PAGES = frozenset({"tickets.list_tickets", "outbox.list_notifications"})
"""Pages that show what the desk's change mark covers (tickets, their comments and notifications)."""
PRESENCE = "gmail_tickets.presence"
REFRESH_HEADER = "X-Live-Refresh"
"""Sent by live.js when it fetches a page again because its mark moved: like the poll, not the agent's doing."""


def is_background(req: Request) -> bool:
    """A request the page's script made by itself (the poll, a refresh): it does not keep a session from ending
    for idleness."""
    return req.endpoint == "live.changes" or req.headers.get(REFRESH_HEADER) == "1"


def is_scripted(req: Request) -> bool:
    """Any request of the script (those, and "typing"): an ended session is left for the agent's own next request
    to end, so a reply typed into it is still kept when they submit it (web/auth.py)."""
    return is_background(req) or req.endpoint == "live.typing"


def install(app: Flask, presence: Presence | None) -> None:
    app.extensions[PRESENCE] = presence if presence is not None else MemoryPresence()
    app.register_blueprint(bp)
    app.context_processor(_page_context)
    app.add_template_test(customer_replied, "customer_replied")


def _deps() -> Deps:
    return current_app.extensions["gmail_tickets.deps"]


def _presence() -> Presence:
    return current_app.extensions[PRESENCE]  # type: ignore[no-any-return]


def live_key() -> str | None:
    """The change mark the current page follows, or None for a page that does not update itself."""
    if request.endpoint == "tickets.show_ticket" and request.view_args:
        return change_marks.ticket_key(int(request.view_args["ticket_id"]))
    return change_marks.ALL if request.endpoint in LIST_PAGES else None


def _page_context() -> dict[str, Any]:
    """`live`: the data attributes base.html puts on <body> for live.js (nothing for anonymous pages)."""
    key = live_key() if g.get("agent") is not None else None
    if key is None:
        return {"live": None}
    mark = _deps().store.change_marks([key])[key]
    ticket = request.view_args.get("ticket_id") if request.view_args else None
    return {"live": {"key": key, "mark": mark, "poll_seconds": POLL_SECONDS, "renew_seconds": RENEW_SECONDS,
                     "ticket": ticket}}


@bp.get("/api/changes")
def changes() -> Response:
    """The marks asked for (`key`, repeatable: "all" or "ticket:<id>") and, with `ticket`, who else is typing a
    reply there. One read per key, one for presence; 304 when the ETag the script sent still matches."""
    keys = [k for k in request.args.getlist("key") if k == change_marks.ALL or _ticket_key(k)][:4]
    marks = _deps().store.change_marks(keys)
    answer: dict[str, Any] = {"marks": marks}
    ticket = request.args.get("ticket", type=int)
    if ticket is not None:
        me = access.current().email
        typing = _presence().typing_on(ticket, _deps().clock.now())
        answer["typing"] = sorted(name or email for email, name in typing.items() if email != me)
    response = jsonify(answer)
    response.headers["Cache-Control"] = "private, no-cache"
    response.add_etag()
    return response.make_conditional(request)


@bp.post("/api/tickets/<int:ticket_id>/typing")
def typing(ticket_id: int) -> tuple[str, int]:
    """The signed-in agent is typing a reply on the ticket (the script sends this at most every RENEW_SECONDS)."""
    me = access.current()
    _presence().typing(ticket_id, me.email, me.label, typing_until(_deps().clock.now()))
    return "", 204


def _ticket_key(key: str) -> bool:
    kind, _, number = key.partition(":")
    return kind == "ticket" and number.isdigit() and len(number) < 19
