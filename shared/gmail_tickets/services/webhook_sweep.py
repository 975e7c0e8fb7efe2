"""The sweep's part for webhooks: publish again each stream's head delivery whose event was lost (queued a
while, or held by a sender whose lease lapsed) or whose retry time has come. Only heads: the sender works a stream
from its head, so a stream waiting on a retrying head costs nothing until the head is due."""

from __future__ import annotations

from datetime import timedelta

from gmail_tickets.domain.webhooks import DeliveryState
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.webhook_events import publish

PENDING_LOOKED_AT = 500


def republish_webhooks(deps: Deps) -> list[str]:
    now = deps.clock.now()
    stale = now - timedelta(seconds=deps.settings.outbox_republish_after_seconds)
    heads: dict[tuple[str, str], bool] = {}
    due: list[str] = []
    for d in deps.store.pending_webhook_deliveries(limit=PENDING_LOOKED_AT):
        key = (d.endpoint_id, d.stream)
        if key in heads:
            continue  # not the head of its stream: it goes out with the stream
        heads[key] = True
        lost = d.state == DeliveryState.QUEUED and (d.updated_at or d.created_at or now) <= stale
        if lost or (d.state != DeliveryState.QUEUED and d.claimable(now)):
            due.append(d.id)
    for delivery_id in due:
        publish(deps, delivery_id)
    return due
