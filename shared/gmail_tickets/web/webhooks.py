"""The Webhooks page (admins only: access.py lists no webhook page for agents): register an endpoint for the events
it wants, its signing secret shown once right after; remove one; and each endpoint's delivery log, newest first,
with "redeliver" for any delivery that is not being posted right now."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gmail_tickets.domain.webhooks import WebhookEndpoint, WebhookEvent
from gmail_tickets.errors import ActionRefused
from gmail_tickets.services import audit
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.send_webhook import redeliver
from gmail_tickets.services.webhook_endpoints import add_endpoint, remove_endpoint
from gmail_tickets.web import access
from gmail_tickets.web.labels import refusal

bp = Blueprint("webhooks", __name__)

EVENT_HELP = {
    WebhookEvent.TICKET_CREATED: _l("a new ticket (from mail)"),
    WebhookEvent.TICKET_UPDATED: _l("a ticket's status, priority, assignee or tags changed"),
    WebhookEvent.COMMENT_CREATED: _l("a comment: the customer's mail, an agent's reply or internal note"),
    WebhookEvent.NOTIFICATION_FAILED: _l("a notification could not be sent"),
    WebhookEvent.CONNECTION_DISCONNECTED: _l("a support address's Gmail connection was lost or disconnected"),
}
LOG_LENGTH = 50


def _deps() -> Deps:
    return current_app.extensions["gmail_tickets.deps"]


def _endpoint(endpoint_id: str) -> WebhookEndpoint:
    endpoint = _deps().store.get_webhook_endpoint(endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


def _page(new: WebhookEndpoint | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("webhooks.html", endpoints=_deps().store.list_webhook_endpoints(), events=EVENT_HELP,
                           new=new), status


@bp.get("/webhooks")
def list_webhooks() -> tuple[str, int]:
    return _page()


@bp.post("/webhooks")
def add_webhook() -> tuple[str, int]:
    try:
        endpoint = add_endpoint(_deps(), request.form.get("url", ""), request.form.getlist("events"),
                                actor=access.actor())
    except ActionRefused as error:
        flash(refusal(error), "error")
        return _page(status=400)
    audit.record(_deps(), access.actor(), "webhook added", endpoint.url, ", ".join(endpoint.events))
    flash(_("Webhook added. Copy its signing secret now: it is not shown again."), "success")
    return _page(new=endpoint)


@bp.post("/webhooks/<endpoint_id>/delete")
def delete_webhook(endpoint_id: str) -> Response:
    endpoint = _endpoint(endpoint_id)
    remove_endpoint(_deps(), endpoint.id)
    audit.record(_deps(), access.actor(), "webhook removed", endpoint.url)
    flash(_("Webhook removed: nothing more is posted to %(url)s.", url=endpoint.url), "success")
    return redirect(url_for("webhooks.list_webhooks"))


@bp.get("/webhooks/<endpoint_id>")
def deliveries(endpoint_id: str) -> str:
    endpoint = _endpoint(endpoint_id)
    return render_template("webhook_deliveries.html", endpoint=endpoint,
                           deliveries=_deps().store.webhook_deliveries(endpoint.id, limit=LOG_LENGTH))


@bp.post("/webhooks/<endpoint_id>/deliveries/<delivery_id>/redeliver")
def redeliver_one(endpoint_id: str, delivery_id: str) -> Response:
    endpoint = _endpoint(endpoint_id)
    found = _deps().store.get_webhook_delivery(delivery_id)
    if found is None or found.endpoint_id != endpoint.id:
        abort(404)
    if redeliver(_deps(), delivery_id) is None:
        flash(_("That delivery is being posted right now; look again in a moment."), "error")
    else:
        flash(_("Delivery queued again (same event id: receivers can tell it is a repeat)."), "success")
    return redirect(url_for("webhooks.deliveries", endpoint_id=endpoint.id))
