"""Contract: webhook endpoints and deliveries (domain/webhooks.py).

A delivery is written in the transaction of the change it reports and moved along by transactions on the record;
the sender works a stream in order from its oldest unsettled delivery, and the sweep looks through the unsettled
ones only: so a store must keep a delivery whole, commit it with its change or not at all, list a stream's
unsettled deliveries oldest first (settled ones out), an endpoint's log newest first, and every unsettled one
oldest first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.webhooks import DeliveryState, RetryRules, WebhookDelivery, WebhookEndpoint
from gmail_tickets.ports import Store, UnitOfWork

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)


class Boom(Exception):
    pass


def _delivery(n: int, *, endpoint: str = "ep1", stream: str = "ticket-7") -> WebhookDelivery:
    at = T0 + timedelta(seconds=n)
    return WebhookDelivery(id=f"evt_{n}-{endpoint}", endpoint_id=endpoint, event="ticket.updated",
                           event_id=f"evt_{n}", stream=stream, order_key=f"{at.isoformat()}|{n:012d}",
                           body=f'{{"id": "evt_{n}", "data": {{"text": "À bientôt ✓"}}}}', ticket_id=7,
                           created_at=T0 + timedelta(seconds=n), updated_at=T0 + timedelta(seconds=n))


def _put(store: Store, *deliveries: WebhookDelivery) -> None:
    def work(uow: UnitOfWork) -> None:
        for d in deliveries:
            uow.put_webhook_delivery(d)

    store.atomically(work)


def test_endpoints_round_trip_list_oldest_first_and_delete(store: Store) -> None:
    later = WebhookEndpoint(id="b", url="https://hooks.example.com/x?y=1", events=("ticket.created",),
                            secret="whsec_2", created_at=T0 + timedelta(minutes=1), created_by="ana@acme.test")
    first = WebhookEndpoint(id="a", url="https://h.example.com/", events=("ticket.created", "comment.created"),
                            secret="whsec_1", created_at=T0)
    store.save_webhook_endpoint(later)
    store.save_webhook_endpoint(first)
    assert store.get_webhook_endpoint("b") == later
    assert [e.id for e in store.list_webhook_endpoints()] == ["a", "b"]
    store.delete_webhook_endpoint("a")
    assert store.get_webhook_endpoint("a") is None
    assert [e.id for e in store.list_webhook_endpoints()] == ["b"]


def test_a_delivery_round_trips_whole(store: Store) -> None:
    d = _delivery(1)
    d.claim("h", T0, timedelta(seconds=30))
    d.mark_failed_attempt("answered 500", 500, T0 + timedelta(seconds=1), RetryRules())
    _put(store, d)
    assert store.get_webhook_delivery(d.id) == d
    assert store.atomically(lambda uow: uow.get_webhook_delivery(d.id)) == d


def test_a_delivery_commits_with_its_change_or_not_at_all(store: Store) -> None:
    def work(uow: UnitOfWork) -> None:
        uow.add_ticket(Ticket(subject="s", requester="a@b.test", connection="help@acme.test", created_at=T0))
        uow.put_webhook_delivery(_delivery(1))
        raise Boom

    with pytest.raises(Boom):
        store.atomically(work)
    assert store.get_webhook_delivery(_delivery(1).id) is None
    assert store.pending_webhook_deliveries() == []


def test_a_stream_queue_is_its_unsettled_deliveries_oldest_first(store: Store) -> None:
    first, second, third = _delivery(1), _delivery(2), _delivery(3)
    other_stream, other_endpoint = _delivery(4, stream="ticket-8"), _delivery(5, endpoint="ep2")
    _put(store, third, first, second, other_stream, other_endpoint)
    assert [d.id for d in store.stream_queue("ep1", "ticket-7")] == [first.id, second.id, third.id]
    first.claim("h", T0, timedelta(seconds=30))
    first.mark_delivered(204, T0)
    _put(store, first)
    assert [d.id for d in store.stream_queue("ep1", "ticket-7", limit=1)] == [second.id]
    assert [d.id for d in store.stream_queue("ep1", "ticket-8")] == [other_stream.id]
    pending = store.pending_webhook_deliveries()
    assert [d.id for d in pending] == [second.id, third.id, other_stream.id, other_endpoint.id]
    assert all(d.state == DeliveryState.QUEUED for d in pending)


def test_an_endpoint_log_is_newest_first_settled_or_not(store: Store) -> None:
    deliveries = [_delivery(n) for n in range(1, 5)] + [_delivery(9, endpoint="ep2")]
    deliveries[0].claim("h", T0, timedelta(seconds=30))
    deliveries[0].mark_delivered(200, T0)
    _put(store, *deliveries)
    assert [d.event_id for d in store.webhook_deliveries("ep1", limit=3)] == ["evt_4", "evt_3", "evt_2"]
    assert [d.event_id for d in store.webhook_deliveries("ep1")][-1] == "evt_1"
    assert [d.event_id for d in store.webhook_deliveries("ep2")] == ["evt_9"]
