"""Webhooks on the real stores (SQLite and the Firestore emulator) posted over HTTP (`requests`) to a real local
receiver that verifies every signature: events are written with the change that causes them, delivered in order
per ticket, retried with backoff until the budget is spent, then failed visibly, and redelivered on request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gmail_tickets.adapters.inline_jobs import InlineJobs
from gmail_tickets.adapters.local_blobs import FileBlobs
from gmail_tickets.adapters.local_secrets import FileSecrets
from gmail_tickets.adapters.webhook_http import RequestsWebhookTransport
from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.ticket_fields import Priority, TicketStatus
from gmail_tickets.domain.ticket_lifecycle import FieldChanges
from gmail_tickets.domain.ticket_token import TicketTokens
from gmail_tickets.domain.webhooks import DeliveryState
from gmail_tickets.ports import Mailbox, Store
from gmail_tickets.ports.webhooks import PostResult
from gmail_tickets.services.agent_reply import reply_as_agent
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.outbound_event import outbound_event
from gmail_tickets.services.send_webhook import redeliver
from gmail_tickets.services.ticket_changes import update_ticket
from gmail_tickets.services.webhook_endpoints import add_endpoint, remove_endpoint
from gmail_tickets.services.webhook_sweep import republish_webhooks
from gmail_tickets.settings import Settings
from tests.webhook_receiver import Receiver

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
HELP = "help@acme.test"
ANN = "ann@customer.test"


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at


class Broker:
    """Keeps what was published; `run` hands the outbound events to the send function, as the broker would."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, topic: str, data: dict[str, Any]) -> None:
        self.published.append(data)

    def run(self, deps: Deps) -> None:
        while self.published:
            import json

            outbound_event(deps, json.dumps(self.published.pop(0)).encode())


def _priority(event: dict[str, Any]) -> str:
    return next(c["new"] for c in event["data"]["changes"] if c["field"] == "priority")


def _no_mailbox(address: str) -> Mailbox:
    raise AssertionError("webhooks never touch Gmail")


@pytest.fixture
def receiver() -> Any:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def broker() -> Broker:
    return Broker()


@pytest.fixture
def deps(store: Store, broker: Broker, tmp_path: Path) -> Deps:
    return Deps(store=store, mailbox_for=_no_mailbox, publisher=broker, secrets=FileSecrets(tmp_path / "s.json"),
                clock=Clock(), blobs=FileBlobs(tmp_path / "blobs"), tokens=TicketTokens(b"k" * 32),
                jobs=InlineJobs(), webhook_transport=RequestsWebhookTransport(allow_private=True))


def _ticket(store: Store) -> int:
    def work(uow: Any) -> int:
        new_id = uow.add_ticket(Ticket("Printer on fire", ANN, HELP, created_at=T0))
        uow.add_comment(Comment(ticket_id=new_id, author=ANN, body_text="It smokes.", created_at=T0,
                                connection=HELP, gmail_message_id="g-1", message_id="m1@x"))
        return new_id

    return store.atomically(work)


def _subscribe(deps: Deps, receiver: Receiver, events: tuple[str, ...] = ("ticket.updated", "comment.created")) -> str:
    endpoint = add_endpoint(deps, receiver.url, events, actor="admin")
    receiver.secret = endpoint.secret
    return endpoint.id


def test_changes_are_posted_signed_once_each_in_order(deps: Deps, store: Store, broker: Broker,
                                                      receiver: Receiver) -> None:
    endpoint = _subscribe(deps, receiver)
    ticket_id = _ticket(store)
    update_ticket(deps, ticket_id, FieldChanges(priority=Priority.URGENT), actor="Ana", version=None)
    reply_as_agent(deps, ticket_id, author="Ana", body="Unplug it.", public=False, submit_as=TicketStatus.PENDING)
    broker.run(deps)
    got = receiver.events()
    assert [r.event["type"] for r in got] == ["ticket.updated", "comment.created", "ticket.updated"]
    assert all(r.signed for r in got)
    assert [r.event_id for r in got] == [r.event["id"] for r in got] and len({r.event_id for r in got}) == 3
    assert _priority(got[0].event) == "urgent"
    assert got[1].event["data"]["comment"]["body_text"] == "Unplug it."
    assert got[2].event["data"]["ticket"]["status"] == "pending"
    log = store.webhook_deliveries(endpoint)
    assert {d.state for d in log} == {DeliveryState.DELIVERED} and len(log) == 3
    assert store.pending_webhook_deliveries() == []


def test_a_failing_receiver_holds_the_ticket_back_retries_then_fails(deps: Deps, store: Store, broker: Broker,
                                                                     receiver: Receiver) -> None:
    endpoint = _subscribe(deps, receiver)
    ticket_id = _ticket(store)
    receiver.status = 500
    update_ticket(deps, ticket_id, FieldChanges(priority=Priority.HIGH), actor="Ana", version=None)
    update_ticket(deps, ticket_id, FieldChanges(priority=Priority.LOW), actor="Ana", version=None)
    broker.run(deps)
    first, second = sorted(store.webhook_deliveries(endpoint), key=lambda d: d.order_key)
    assert first.state == DeliveryState.RETRYING and first.next_attempt_at == T0 + timedelta(seconds=30)
    assert second.state == DeliveryState.QUEUED and second.attempts == 0  # never before the first
    assert republish_webhooks(deps) == []  # the head is not due; the later one waits behind it
    deps.clock.at = T0 + timedelta(seconds=31)  # type: ignore[attr-defined]
    assert republish_webhooks(deps) == [first.id]
    broker.run(deps)
    assert store.get_webhook_delivery(first.id).next_attempt_at == deps.clock.now() + timedelta(seconds=60)
    deps.clock.at = T0 + timedelta(hours=24, seconds=1)  # type: ignore[attr-defined]
    republish_webhooks(deps)
    broker.run(deps)  # the budget is spent: the first fails, then the second is tried (and fails its first try)
    assert store.get_webhook_delivery(first.id).state == DeliveryState.FAILED
    assert store.get_webhook_delivery(second.id).state == DeliveryState.RETRYING
    receiver.status = 204
    redeliver(deps, first.id)
    broker.run(deps)
    assert [_priority(r.event) for r in receiver.events()] == ["high"]  # the second waits for its own time
    deps.clock.at += timedelta(seconds=31)  # type: ignore[attr-defined]
    assert republish_webhooks(deps) == [second.id]
    broker.run(deps)
    assert [_priority(r.event) for r in receiver.events()] == ["high", "low"]
    assert store.get_webhook_delivery(first.id).redelivered == 1


def test_a_private_target_is_refused_without_the_test_setting(deps: Deps, store: Store, broker: Broker,
                                                               receiver: Receiver) -> None:
    deps.webhook_transport = RequestsWebhookTransport(allow_private=False)
    endpoint = _subscribe(deps, receiver)
    update_ticket(deps, _ticket(store), FieldChanges(priority=Priority.HIGH), actor="Ana", version=None)
    broker.run(deps)
    (d,) = store.webhook_deliveries(endpoint)
    assert d.state == DeliveryState.FAILED and "private" in (d.last_error or "")
    assert receiver.events() == []


def test_unwanted_events_and_no_endpoints_write_nothing(deps: Deps, store: Store, broker: Broker,
                                                        receiver: Receiver) -> None:
    ticket_id = _ticket(store)
    update_ticket(deps, ticket_id, FieldChanges(priority=Priority.HIGH), actor="Ana", version=None)
    endpoint = _subscribe(deps, receiver, ("ticket.created",))
    update_ticket(deps, ticket_id, FieldChanges(priority=Priority.LOW), actor="Ana", version=None)
    assert store.webhook_deliveries(endpoint) == [] and broker.published == []


def test_webhook_retries_follow_their_own_settings_not_the_mails(deps: Deps, store: Store, broker: Broker,
                                                                  receiver: Receiver) -> None:
    deps.settings = Settings(webhook_retry_first_seconds=5, webhook_retry_ceiling_seconds=8,
                             webhook_retry_budget_seconds=60, send_retry_first_seconds=999)
    endpoint = _subscribe(deps, receiver)
    receiver.status = 500
    update_ticket(deps, _ticket(store), FieldChanges(priority=Priority.HIGH), actor="Ana", version=None)
    broker.run(deps)
    (d,) = store.webhook_deliveries(endpoint)
    assert d.state == DeliveryState.RETRYING and d.next_attempt_at == T0 + timedelta(seconds=5)
    deps.clock.at = T0 + timedelta(seconds=6)  # type: ignore[attr-defined]
    republish_webhooks(deps)
    broker.run(deps)
    assert store.get_webhook_delivery(d.id).next_attempt_at == deps.clock.now() + timedelta(seconds=8)  # ceiling
    deps.clock.at = T0 + timedelta(seconds=61)  # type: ignore[attr-defined]
    republish_webhooks(deps)
    broker.run(deps)
    assert store.get_webhook_delivery(d.id).state == DeliveryState.FAILED  # the 60 s budget, not 24 h


class RemovingAfterFirstPost:
    """A real transport that removes the endpoint (as an admin on another instance would) once it posted."""

    def __init__(self, deps: Deps, endpoint_id: str) -> None:
        self._inner, self._deps, self._endpoint_id = RequestsWebhookTransport(allow_private=True), deps, endpoint_id

    def post(self, url: str, body: bytes, headers: Any) -> PostResult:
        answer = self._inner.post(url, body, headers)
        self._deps.store.delete_webhook_endpoint(self._endpoint_id)
        return answer


def test_a_removed_endpoint_gets_no_post_that_starts_after_the_removal(deps: Deps, store: Store, broker: Broker,
                                                                       receiver: Receiver) -> None:
    endpoint = _subscribe(deps, receiver)
    ticket_id = _ticket(store)
    for priority in (Priority.HIGH, Priority.LOW, Priority.URGENT):
        update_ticket(deps, ticket_id, FieldChanges(priority=priority), actor="Ana", version=None)
    deps.webhook_transport = RemovingAfterFirstPost(deps, endpoint)
    broker.run(deps)  # one sender call walks the ticket's stream: the endpoint is gone after its first post
    assert [_priority(r.event) for r in receiver.events()] == ["high"]
    states = sorted((d.order_key, str(d.state), d.last_error) for d in store.webhook_deliveries(endpoint))
    assert [s for _, s, _ in states] == ["delivered", "failed", "failed"]
    assert all("removed" in (e or "") for _, _, e in states[1:])
    # another instance's cache still lists an endpoint for up to CACHE_SECONDS after its removal: what it logs
    # for it then is failed without a post
    other = Deps(store=store, mailbox_for=_no_mailbox, publisher=broker, secrets=deps.secrets, clock=deps.clock,
                 blobs=deps.blobs, tokens=deps.tokens, jobs=deps.jobs, webhook_transport=deps.webhook_transport)
    second = _subscribe(deps, receiver)
    assert [e.id for e in other.webhook_endpoints.wanting(store, "ticket.updated")] == [second]
    remove_endpoint(deps, second)
    update_ticket(other, ticket_id, FieldChanges(priority=Priority.NORMAL), actor="Ana", version=None)
    broker.run(other)
    (late,) = store.webhook_deliveries(second)
    assert late.state == DeliveryState.FAILED and "removed" in (late.last_error or "")
    assert len(receiver.events()) == 1
