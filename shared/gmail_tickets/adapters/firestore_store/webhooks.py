"""WebhookRepo on Firestore: webhook_endpoints/{id} and webhook_deliveries/{id}, records.py's dict of the record
plus the delivery's index keys (`endpoint_pos`; `stream_pos` and `pending_pos` only while unsettled, null after),
each queried as a range over one field: the automatic single-field indexes serve them, no composite index."""

from __future__ import annotations

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from gmail_tickets.adapters import records
from gmail_tickets.adapters.firestore_store.base import FirestoreBase
from gmail_tickets.adapters.firestore_store.transaction import Doc, FirestoreTx
from gmail_tickets.adapters.records import to_doc
from gmail_tickets.domain.webhooks import WebhookDelivery, WebhookEndpoint

_END = "\x7f"  # sorts after every character the keys use


def delivery_doc(delivery: WebhookDelivery) -> Doc:
    return {**to_doc(delivery), "endpoint_pos": delivery.endpoint_pos, "stream_pos": delivery.stream_pos,
            "pending_pos": delivery.pending_pos}


class WebhooksTx(FirestoreTx):
    def get_webhook_delivery(self, delivery_id: str) -> WebhookDelivery | None:
        return self.read_record(WebhookDelivery, self._store._ref("webhook_deliveries", delivery_id))

    def put_webhook_delivery(self, delivery: WebhookDelivery) -> None:
        self.set(self._store._ref("webhook_deliveries", delivery.id), delivery_doc(delivery))


class WebhooksRepo(FirestoreBase):
    def save_webhook_endpoint(self, endpoint: WebhookEndpoint) -> None:
        self._set(self._ref("webhook_endpoints", endpoint.id), to_doc(endpoint))

    def get_webhook_endpoint(self, endpoint_id: str) -> WebhookEndpoint | None:
        return self._get_record(WebhookEndpoint, self._ref("webhook_endpoints", endpoint_id))

    def list_webhook_endpoints(self) -> list[WebhookEndpoint]:
        found = self._records(WebhookEndpoint, self._col("webhook_endpoints"))
        return sorted(found, key=lambda e: (records.ts(e.created_at) or "", e.id))

    def delete_webhook_endpoint(self, endpoint_id: str) -> None:
        self._delete(self._ref("webhook_endpoints", endpoint_id))

    def get_webhook_delivery(self, delivery_id: str) -> WebhookDelivery | None:
        return self._get_record(WebhookDelivery, self._ref("webhook_deliveries", delivery_id))

    def webhook_deliveries(self, endpoint_id: str, *, limit: int = 50) -> list[WebhookDelivery]:
        return self._range("endpoint_pos", f"{endpoint_id}\n", limit, newest_first=True)

    def stream_queue(self, endpoint_id: str, stream: str, *, limit: int = 20) -> list[WebhookDelivery]:
        return self._range("stream_pos", f"{endpoint_id}\n{stream}\n", limit)

    def pending_webhook_deliveries(self, *, limit: int = 500) -> list[WebhookDelivery]:
        return self._range("pending_pos", "", limit)

    def _range(self, field: str, prefix: str, limit: int, *, newest_first: bool = False) -> list[WebhookDelivery]:
        direction = firestore.Query.DESCENDING if newest_first else firestore.Query.ASCENDING
        query = (self._col("webhook_deliveries").where(filter=FieldFilter(field, ">=", prefix))
                 .where(filter=FieldFilter(field, "<", prefix + _END)).order_by(field, direction=direction)
                 .limit(limit))
        return self._records(WebhookDelivery, query)
