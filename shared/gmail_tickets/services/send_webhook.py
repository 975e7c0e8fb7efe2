"""Deliver webhook deliveries (domain/webhooks.py): at least once, in order per stream and endpoint.

An event names one delivery; the sender then works that delivery's stream from its head (the oldest unsettled
delivery of the stream to the endpoint), so nothing of a ticket is posted before what came earlier, and a record
whose own event was lost is posted with the stream. Each post is:
1. claimed in one transaction (a lease, GT_SEND_LEASE_SECONDS but never shorter than the post's timeouts: a
   sender that dies mid-post holds it until the lease lapses, then the next sender posts it again: at least
   once, with the same event id for the receiver's dedupe);
2. posted outside any transaction, signed (HMAC-SHA256 over "<t>.<body>"), through the WebhookTransport port;
3. settled in one transaction while this sender still holds it: delivered, retrying (backoff doubling to a
   ceiling; the sweep publishes it again when due) or failed (the budget spent, or a refused target).
A head that is retrying and not yet due stops the stream: its later deliveries wait, queued, for it.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from gmail_tickets.domain.webhooks import (
    EVENT_HEADER,
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    RetryRules,
    WebhookDelivery,
    WebhookEndpoint,
    signature,
)
from gmail_tickets.errors import TransientError
from gmail_tickets.ports import PostResult, WebhookUnit
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.webhook_events import publish

log = logging.getLogger(__name__)

MIN_LEASE_SECONDS = 16.0  # above the transport's connect and read timeouts together (the post is not renewed)
MOST_POSTS_PER_CALL = 50  # then the stream's next delivery is published, for another call
USER_AGENT = "gmail-tickets-webhooks/1"

Result = Literal["delivered", "failed", "retrying", "waiting", "duplicate", "unknown"]


class WebhookBusy(TransientError):
    """Another sender is posting the stream's head: the event comes back later."""


@dataclass(frozen=True)
class WebhookOutcome:
    delivery_id: str
    result: Result
    posted: int = 0


def retry_rules(deps: Deps) -> RetryRules:
    """Webhooks' own retry timing (GT_WEBHOOK_RETRY_*): a receiver's outage is not a mail server's, and an admin
    may want deliveries failed (and the ticket's later ones released) sooner than notifications."""
    return RetryRules(first=timedelta(seconds=deps.settings.webhook_retry_first_seconds),
                      ceiling=timedelta(seconds=deps.settings.webhook_retry_ceiling_seconds),
                      budget=timedelta(seconds=deps.settings.webhook_retry_budget_seconds))


def deliver_webhook(deps: Deps, delivery_id: str) -> WebhookOutcome:
    """Post the delivery's stream up to and past it, in order. Raises WebhookBusy to be called again later."""
    record = deps.store.get_webhook_delivery(delivery_id)
    if record is None:
        return WebhookOutcome(delivery_id, "unknown")
    if record.is_settled:
        return WebhookOutcome(delivery_id, "duplicate")
    endpoint = deps.store.get_webhook_endpoint(record.endpoint_id)
    holder = f"{deps.holder}-webhook-{uuid.uuid4().hex[:8]}"
    posted = 0
    for turn in range(MOST_POSTS_PER_CALL):
        queue = deps.store.stream_queue(record.endpoint_id, record.stream, limit=1)
        if not queue:
            return WebhookOutcome(delivery_id, "delivered", posted)
        head = queue[0]
        if turn:  # read again before every post: an endpoint removed meanwhile gets no post that starts after
            endpoint = deps.store.get_webhook_endpoint(record.endpoint_id)
        result = _post_one(deps, endpoint, head, holder)
        posted += result in ("delivered", "failed")
        if result == "waiting":
            return WebhookOutcome(delivery_id, "waiting" if head.id != delivery_id else "retrying", posted)
        if result == "retrying":
            return WebhookOutcome(delivery_id, "retrying", posted)
    more = deps.store.stream_queue(record.endpoint_id, record.stream, limit=1)
    if more:
        publish(deps, more[0].id)
    return WebhookOutcome(delivery_id, "delivered", posted)


def _post_one(deps: Deps, endpoint: WebhookEndpoint | None, head: WebhookDelivery, holder: str) -> str:
    """"delivered", "failed", "retrying" (posted, failed, waits its backoff), "waiting" (not due yet) or
    "skipped" (settled by someone else meanwhile); raises WebhookBusy while another sender holds it."""
    now = deps.clock.now()

    def claim(uow: WebhookUnit) -> str:
        d = uow.get_webhook_delivery(head.id)
        if d is None or d.is_settled:
            return "skipped"
        if not d.claimable(now):
            return "busy" if d.state == "sending" else "waiting"
        d.claim(holder, now, timedelta(seconds=max(deps.settings.send_lease_seconds, MIN_LEASE_SECONDS)))
        uow.put_webhook_delivery(d)
        return "claimed"

    claimed = deps.store.atomically(claim)
    if claimed == "busy":
        raise WebhookBusy(f"webhook delivery {head.id} is being posted by another sender")
    if claimed != "claimed":
        return claimed
    outcome = _post(deps, endpoint, head)
    return _settle(deps, head.id, holder, outcome)


def _post(deps: Deps, endpoint: WebhookEndpoint | None, d: WebhookDelivery) -> PostResult:
    if endpoint is None:
        return PostResult(None, "the endpoint was removed", permanent=True)
    if deps.webhook_transport is None:
        return PostResult(None, "no webhook transport configured")
    body = d.body.encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, EVENT_HEADER: d.event,
               EVENT_ID_HEADER: d.event_id, "X-GT-Delivery": d.id,
               SIGNATURE_HEADER: signature(endpoint.secret, int(time.time()), body)}
    return deps.webhook_transport.post(endpoint.url, body, headers)


def _settle(deps: Deps, delivery_id: str, holder: str, outcome: PostResult) -> str:
    now = deps.clock.now()
    rules = retry_rules(deps)

    def work(uow: WebhookUnit) -> str:
        d = uow.get_webhook_delivery(delivery_id)
        if d is None or not d.held_by(holder):
            return "skipped"  # outlived our lease: whoever holds it now decides
        if outcome.ok:
            d.mark_delivered(outcome.status or 0, now)
        else:
            d.mark_failed_attempt(outcome.error or "failed", outcome.status, now, rules, permanent=outcome.permanent)
        uow.put_webhook_delivery(d)
        return str(d.state)

    state = deps.store.atomically(work)
    if state == "failed":
        log.error("webhook delivery failed", extra={"delivery": delivery_id, "error": outcome.error})
    elif state == "retrying":
        log.warning("webhook delivery retrying", extra={"delivery": delivery_id, "error": outcome.error})
    return state


def redeliver(deps: Deps, delivery_id: str) -> WebhookDelivery | None:
    """An admin's "redeliver": owed again (same event id), then published. A delivery being posted right now
    is left as it is."""
    now = deps.clock.now()

    def work(uow: WebhookUnit) -> WebhookDelivery | None:
        d = uow.get_webhook_delivery(delivery_id)
        if d is None or (d.state == "sending" and not d.claimable(now)):
            return None
        d.redeliver(now)
        uow.put_webhook_delivery(d)
        return d

    found = deps.store.atomically(work)
    if found is not None:
        publish(deps, found.id)
    return found
