"""Emitting webhook events: one call, inside the transaction of the change it reports.

    webhook_events.emit(deps, uow, WebhookEvent.TICKET_UPDATED, ticket=ticket)

writes one delivery record per endpoint that wants the event, in that transaction (so the event is owed exactly
when the change commits), and remembers the records on this thread; `announce(deps)` after the commit publishes
them to the send function. A lost publish loses nothing: the sweep publishes deliveries left queued.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import uuid
from typing import Any

from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.outbox import Notification, NotificationState
from gmail_tickets.domain.ticket_json import comment_json, iso, ticket_json
from gmail_tickets.domain.webhooks import WebhookDelivery, WebhookEvent, stream_of
from gmail_tickets.ports import WebhookUnit
from gmail_tickets.services.deps import Deps

log = logging.getLogger(__name__)

_pending = threading.local()
_sequence = itertools.count()


def emit(deps: Deps, uow: WebhookUnit, event: WebhookEvent, *, ticket: Ticket | None = None,
         comment: Comment | None = None, ticket_id: int | None = None, connection: str | None = None,
         data: dict[str, Any] | None = None) -> None:
    """Owe `event` to every endpoint that wants it. The payload's `data` holds the ticket (and comment) as they are
    in this transaction, and any `data` given; the stream (its order) is the ticket's, else the connection's."""
    endpoints = deps.webhook_endpoints.wanting(deps.store, str(event))
    if not endpoints:
        return
    now = deps.clock.now()
    event_id = f"evt_{uuid.uuid4().hex}"
    payload = {"id": event_id, "type": str(event), "created_at": iso(now),
               "data": {**_objects(ticket, comment), **(data or {})}}
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    ticket_id = ticket.id if ticket is not None else ticket_id
    order_key = f"{iso(now)}|{next(_sequence):012d}"
    queued = _queued()
    for endpoint in endpoints:
        delivery = WebhookDelivery(
            id=f"{event_id}-{endpoint.id}", endpoint_id=endpoint.id, event=str(event), event_id=event_id,
            stream=stream_of(ticket_id, connection), order_key=order_key, body=body, ticket_id=ticket_id,
            created_at=now, updated_at=now)
        uow.put_webhook_delivery(delivery)
        queued.append(delivery.id)


def announce(deps: Deps) -> None:
    """Publish the deliveries this thread emitted (call it after the commit). A record of a transaction that did
    not commit is simply not found by the sender."""
    ids, _pending.ids = _queued()[:], []
    for delivery_id in dict.fromkeys(ids):
        publish(deps, delivery_id)


def publish(deps: Deps, delivery_id: str) -> None:
    try:
        deps.publisher.publish(deps.settings.outbound_topic, {"webhook": delivery_id})
    except Exception as exc:
        log.warning("webhook publish failed; the sweep will publish it",
                    extra={"delivery": delivery_id, "error": type(exc).__name__})


def _queued() -> list[str]:
    if not hasattr(_pending, "ids"):
        _pending.ids = []
    return _pending.ids


def _objects(ticket: Ticket | None, comment: Comment | None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if ticket is not None:
        found["ticket"] = ticket_json(ticket)
    if comment is not None:
        found["comment"] = comment_json(comment)
    return found


def notification_failed(deps: Deps, uow: WebhookUnit, n: Notification) -> None:
    """notification.failed, for a record that has just failed (nothing for any other state)."""
    if n.state != NotificationState.FAILED:
        return
    emit(deps, uow, WebhookEvent.NOTIFICATION_FAILED, ticket_id=n.ticket_id,
         data={"notification": {"id": n.id, "ticket_id": n.ticket_id, "event": n.event, "to": list(n.to),
                                "route": n.route, "attempts": n.attempts, "error": n.last_error}})
