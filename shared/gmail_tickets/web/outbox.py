"""Outbound mail in the console: the Notifications page (failed first, so nothing owed is missed) and "Send again"
for a failed notification, from that page or from the ticket's own list.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gmail_tickets.domain.outbox import Notification, NotificationEvent, NotificationState
from gmail_tickets.errors import ActionRefused
from gmail_tickets.services import notifications
from gmail_tickets.services.deps import Deps
from gmail_tickets.web.labels import refusal
from gmail_tickets.web.paging import link, page_request

bp = Blueprint("outbox", __name__)

LIST_LIMIT = 50


def install(app: Flask) -> None:
    """The blueprint, and the labels the ticket page shares with the Notifications page."""
    app.register_blueprint(bp)
    app.add_template_filter(event_label, "event_label")
    app.add_template_filter(route_label, "route_label")


def _deps() -> Deps:
    return current_app.extensions["gmail_tickets.deps"]


def event_label(n: Notification) -> str:
    """What the mail is, in an agent's words: the stored event is "created", "reply:<comment id>" or a trigger's
    key (domain/triggers.py)."""
    kind = n.event.split(":", 1)[0]
    return str({NotificationEvent.TICKET_CREATED: _("Acknowledgement"), NotificationEvent.AGENT_REPLY: _("Agent reply"),
                NotificationEvent.ASSIGNED: _("Assignment, to the assignee"),
                NotificationEvent.CUSTOMER_REPLY: _("Customer's reply, to the assignee"),
                NotificationEvent.SOLVED: _("Solved, to the requester")}.get(kind, n.event))


def route_label(n: Notification) -> str:
    """The route once one was chosen; a queued record that never went out has none yet."""
    return str({"gmail": _("via Gmail"), "relay": _("via relay")}.get(n.route or "", _("not chosen yet")))


SECTIONS: dict[str, list[NotificationState]] = {
    "failed": [NotificationState.FAILED],
    "pending": [NotificationState.QUEUED, NotificationState.SENDING, NotificationState.RETRYING],
    "sent": [NotificationState.SENT],
}
"""The page's sections, each paged on its own (`<section>_cursor`) and counted."""


@bp.get("/notifications")
def list_notifications() -> str:
    """Failed ones first (someone has to act), then the ones on their way, then the sent ones, newest first."""
    store = _deps().store
    sections = {}
    for name, states in SECTIONS.items():
        page = store.notification_page(states, page_request(f"{name}_cursor", limit=LIST_LIMIT))
        sections[name] = {"items": page.items, "total": store.count_notifications(states),
                          "links": link(page, "outbox.list_notifications", f"{name}_cursor")}
    return render_template("notifications.html", sections=sections)


@bp.post("/notifications/<notification_id>/send-again")
def send_again(notification_id: str) -> Response:
    """Queue a failed notification afresh. Back to where the button was: the ticket (`back=ticket`) or the list;
    never to a URL taken from the form, so the button cannot be made into an open redirect."""
    try:
        record = notifications.send_again(_deps(), notification_id)
    except ActionRefused as error:
        flash(refusal(error), "error")
        record = _deps().store.get_notification(notification_id)
    else:
        flash(_("%(what)s to %(recipients)s is queued to be sent again.", what=event_label(record),
                recipients=", ".join(record.recipients)), "success")
    if request.form.get("back") == "ticket" and record is not None:
        target = url_for("tickets.show_ticket", ticket_id=record.ticket_id)
    else:
        target = url_for("outbox.list_notifications")
    return redirect(target)  # type: ignore[return-value]
