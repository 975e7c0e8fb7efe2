"""Webhook endpoints as event emitters read them: at most every few seconds per process."""

from __future__ import annotations

import threading
import time

from gmail_tickets.domain.webhooks import WebhookEndpoint
from gmail_tickets.ports import WebhookRepo

CACHE_SECONDS = 5.0
"""An endpoint added on another instance gets events within this. A removed one may still be given deliveries
this long by other instances, but never posted to: the sender reads the endpoint before each post
(send_webhook.deliver_webhook), so removal stops posts at once (docs/webhooks.md)."""


class EndpointCache:
    """The endpoints as emitters read them: an event inside a transaction must not add a store query to every
    ticket change (and Firestore's transactions read before they write), so the list is read apart and kept."""

    def __init__(self, ttl_seconds: float = CACHE_SECONDS) -> None:
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._endpoints: list[WebhookEndpoint] = []
        self._read_at = float("-inf")

    def wanting(self, store: WebhookRepo, event: str) -> list[WebhookEndpoint]:
        with self._lock:
            if time.monotonic() - self._read_at > self._ttl:
                self._endpoints = store.list_webhook_endpoints()
                self._read_at = time.monotonic()
            return [e for e in self._endpoints if e.wants(event)]

    def forget(self) -> None:
        with self._lock:
            self._read_at = float("-inf")
