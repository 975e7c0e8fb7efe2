"""The send function's events: {"notification": id} is a mail we owe, {"webhook": id} a webhook delivery. Both
outboxes share the one topic and function (and, on one machine, the send pool): neither has its own
infrastructure to run, and both are bounded by their leases and backoff the same way."""

from __future__ import annotations

from gmail_tickets.errors import PoisonEvent
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.event_body import json_object
from gmail_tickets.services.ingest import quarantine_event
from gmail_tickets.services.send_notification import SendOutcome, send_event
from gmail_tickets.services.send_webhook import WebhookOutcome, deliver_webhook


def outbound_event(deps: Deps, data: bytes) -> SendOutcome | WebhookOutcome | None:
    try:
        body = json_object(data)
    except PoisonEvent as exc:
        quarantine_event(deps, data, str(exc))
        return None
    delivery_id = body.get("webhook")
    if delivery_id is None:
        return send_event(deps, data)
    if not isinstance(delivery_id, str) or not delivery_id or len(delivery_id) > 1500:
        quarantine_event(deps, data, "outbound event with an unusable webhook delivery id")
        return None
    return deliver_webhook(deps, delivery_id)
