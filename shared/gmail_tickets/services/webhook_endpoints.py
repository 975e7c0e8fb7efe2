"""Webhook endpoints: registered by admins, read by every event emitter at most every few seconds per process."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from urllib.parse import urlsplit

from gmail_tickets.domain.said import said
from gmail_tickets.domain.webhooks import WebhookEndpoint, WebhookEvent
from gmail_tickets.errors import ActionRefused
from gmail_tickets.services.deps import Deps


def add_endpoint(deps: Deps, url: str, events: Sequence[str], *, actor: str) -> WebhookEndpoint:
    """Register an endpoint with a fresh secret (the caller shows it to the admin). The URL must be http(s) with a
    host; whether its address may be reached is decided at each delivery, after DNS (adapters/webhook_http.py)."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise ActionRefused(said("A webhook needs an http:// or https:// address."))
    known = {str(e) for e in WebhookEvent}
    wanted = tuple(e for e in dict.fromkeys(events) if e in known)
    if not wanted:
        raise ActionRefused(said("Choose at least one event."))
    endpoint = WebhookEndpoint(id=uuid.uuid4().hex[:16], url=url, events=wanted,
                               secret="whsec_" + secrets.token_hex(24), created_at=deps.clock.now(),
                               created_by=actor)
    deps.store.save_webhook_endpoint(endpoint)
    deps.webhook_endpoints.forget()
    return endpoint


def remove_endpoint(deps: Deps, endpoint_id: str) -> None:
    deps.store.delete_webhook_endpoint(endpoint_id)
    deps.webhook_endpoints.forget()
