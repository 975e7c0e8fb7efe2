"""WebhookRepo on SQLite: endpoints and deliveries (migration 16), each a doc plus the delivery's index keys."""

from __future__ import annotations

from gmail_tickets.adapters import records
from gmail_tickets.adapters.sqlite_store.tx import SqliteRepo, SqliteTx, doc_text
from gmail_tickets.domain.webhooks import WebhookDelivery, WebhookEndpoint


class WebhooksTx(SqliteTx):
    def get_webhook_delivery(self, delivery_id: str) -> WebhookDelivery | None:
        return self._get(WebhookDelivery, "webhook_deliveries", "id", delivery_id)

    def put_webhook_delivery(self, delivery: WebhookDelivery) -> None:
        self._upsert("webhook_deliveries",
                     {"id": delivery.id, "endpoint_pos": delivery.endpoint_pos, "stream_pos": delivery.stream_pos,
                      "pending_pos": delivery.pending_pos}, doc_text(delivery))

    def put_webhook_endpoint(self, endpoint: WebhookEndpoint) -> None:
        self._upsert("webhook_endpoints", {"id": endpoint.id, "created_at": records.ts(endpoint.created_at)},
                     doc_text(endpoint))


class WebhooksRepo(SqliteRepo):
    def save_webhook_endpoint(self, endpoint: WebhookEndpoint) -> None:
        self._transaction(lambda tx: tx.put_webhook_endpoint(endpoint))

    def get_webhook_endpoint(self, endpoint_id: str) -> WebhookEndpoint | None:
        found = self._records(WebhookEndpoint, "SELECT doc FROM webhook_endpoints WHERE id = ?", (endpoint_id,))
        return found[0] if found else None

    def list_webhook_endpoints(self) -> list[WebhookEndpoint]:
        return self._records(WebhookEndpoint, "SELECT doc FROM webhook_endpoints ORDER BY created_at, id")

    def delete_webhook_endpoint(self, endpoint_id: str) -> None:
        self._transaction(lambda tx: tx._delete("webhook_endpoints", "id", endpoint_id))

    def get_webhook_delivery(self, delivery_id: str) -> WebhookDelivery | None:
        found = self._records(WebhookDelivery, "SELECT doc FROM webhook_deliveries WHERE id = ?", (delivery_id,))
        return found[0] if found else None

    def webhook_deliveries(self, endpoint_id: str, *, limit: int = 50) -> list[WebhookDelivery]:
        prefix = f"{endpoint_id}\n"
        return self._records(WebhookDelivery, "SELECT doc FROM webhook_deliveries WHERE endpoint_pos >= ? AND "
                             "endpoint_pos < ? ORDER BY endpoint_pos DESC LIMIT ?", (prefix, prefix + "\x7f", limit))

    def stream_queue(self, endpoint_id: str, stream: str, *, limit: int = 20) -> list[WebhookDelivery]:
        prefix = f"{endpoint_id}\n{stream}\n"
        return self._records(WebhookDelivery, "SELECT doc FROM webhook_deliveries WHERE stream_pos >= ? AND "
                             "stream_pos < ? ORDER BY stream_pos LIMIT ?", (prefix, prefix + "\x7f", limit))

    def pending_webhook_deliveries(self, *, limit: int = 500) -> list[WebhookDelivery]:
        return self._records(WebhookDelivery, "SELECT doc FROM webhook_deliveries WHERE pending_pos IS NOT NULL "
                             "ORDER BY pending_pos LIMIT ?", (limit,))
