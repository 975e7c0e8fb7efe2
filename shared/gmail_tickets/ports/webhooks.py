"""Webhook endpoints and the deliveries owed to them (domain/webhooks.py), a role of the Store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from gmail_tickets.domain.webhooks import WebhookDelivery, WebhookEndpoint


class WebhookUnit(Protocol):
    """Inside one transaction: deliveries are written with the change they report, and moved along."""

    def get_webhook_delivery(self, delivery_id: str) -> WebhookDelivery | None: ...

    def put_webhook_delivery(self, delivery: WebhookDelivery) -> None:
        """Insert or replace by id."""


class WebhookRepo(Protocol):
    def save_webhook_endpoint(self, endpoint: WebhookEndpoint) -> None: ...

    def get_webhook_endpoint(self, endpoint_id: str) -> WebhookEndpoint | None: ...

    def list_webhook_endpoints(self) -> list[WebhookEndpoint]:
        """Oldest first (few: an admin registers them by hand)."""

    def delete_webhook_endpoint(self, endpoint_id: str) -> None:
        """The endpoint only: its deliveries stay for the log; unsettled ones fail when next tried."""

    def get_webhook_delivery(self, delivery_id: str) -> WebhookDelivery | None: ...

    def webhook_deliveries(self, endpoint_id: str, *, limit: int = 50) -> list[WebhookDelivery]:
        """The endpoint's deliveries, newest first: its log."""

    def stream_queue(self, endpoint_id: str, stream: str, *, limit: int = 20) -> list[WebhookDelivery]:
        """The stream's unsettled deliveries to the endpoint, oldest first (an index of unsettled records only)."""

    def pending_webhook_deliveries(self, *, limit: int = 500) -> list[WebhookDelivery]:
        """Every unsettled delivery, oldest first: what the sweep looks through for lost or due ones."""


@dataclass(frozen=True)
class PostResult:
    """How one post went: `status` (None: no answer), `error` (None: 2xx), `permanent` (the target is refused for
    good: an address we never post to)."""

    status: int | None
    error: str | None = None
    permanent: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


class WebhookTransport(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> PostResult:
        """POST `body` to `url` with `headers`, bounded in time and in what is read back; never raises."""
