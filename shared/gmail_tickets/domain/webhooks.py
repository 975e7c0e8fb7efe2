"""Webhooks: endpoints an admin registers, and the deliveries we owe them (an outbox of HTTP posts).

A delivery is a record written in the same transaction as the change it reports, so an event is owed exactly when
it commits. It moves

    queued ──claim──▶ sending ──▶ delivered
       ▲               │  └─────▶ failed     (the target refused for good, or the retry budget spent: visible)
       │ redeliver     ▼ non-2xx, timeout, no connection
       └──────────  retrying (next_attempt_at; backoff doubling to a ceiling, failed once the budget is spent)

Delivery is at least once: a sender that dies mid-post leaves the record "sending" until its lease lapses, and the
next sender posts it again with the same event id (the receiver's dedupe key). Order per stream (a ticket, or a
connection for connection events) and endpoint: a delivery is posted only once every earlier one of its stream
is settled, so a receiver never sees a ticket's later event before its earlier one.

Pure: no I/O; transitions change the record handed in, inside the caller's transaction.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta


class WebhookEvent(enum.StrEnum):
    TICKET_CREATED = "ticket.created"
    TICKET_UPDATED = "ticket.updated"
    COMMENT_CREATED = "comment.created"
    NOTIFICATION_FAILED = "notification.failed"
    CONNECTION_DISCONNECTED = "connection.disconnected"


class DeliveryState(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    RETRYING = "retrying"
    DELIVERED = "delivered"
    FAILED = "failed"


SETTLED = (DeliveryState.DELIVERED, DeliveryState.FAILED)
SIGNATURE_HEADER = "X-GT-Signature"
EVENT_ID_HEADER = "X-GT-Event-Id"
EVENT_HEADER = "X-GT-Event"


@dataclass
class WebhookEndpoint:
    """Where an admin wants events posted. `secret` signs every delivery (shown to the admin, kept here)."""

    id: str
    url: str
    events: tuple[str, ...]
    secret: str
    created_at: datetime | None = None
    created_by: str = ""

    def wants(self, event: str) -> bool:
        return event in self.events


@dataclass(frozen=True)
class RetryRules:
    first: timedelta = timedelta(seconds=30)
    ceiling: timedelta = timedelta(minutes=30)
    budget: timedelta = timedelta(hours=24)


@dataclass
class WebhookDelivery:
    """One event owed to one endpoint. `body` is the exact JSON posted (the signature covers it, so a retry
    posts the same bytes); `stream` and `order_key` give the order within which it is posted."""

    id: str
    endpoint_id: str
    event: str
    event_id: str
    stream: str  # "ticket-<id>" or "connection-<address>": deliveries of one stream go out in order
    order_key: str  # fixed-width creation time and a sequence: text order is creation order
    body: str
    ticket_id: int | None = None
    state: DeliveryState = DeliveryState.QUEUED
    attempts: int = 0
    last_error: str | None = None
    last_status: int | None = None
    holder: str | None = None
    lease_until: datetime | None = None
    next_attempt_at: datetime | None = None
    first_failed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    delivered_at: datetime | None = None
    redelivered: int = 0
    history: list[str] = field(default_factory=list)  # one line per attempt, newest last (the console's log)

    @property
    def is_settled(self) -> bool:
        return self.state in SETTLED

    # -- index keys both stores keep beside the record
    @property
    def endpoint_pos(self) -> str:
        """Per endpoint, in creation order: the console's delivery log."""
        return f"{self.endpoint_id}\n{self.order_key}"

    @property
    def stream_pos(self) -> str | None:
        """Set while unsettled: the stream's queue, in order (None once settled, so the index holds only work)."""
        return None if self.is_settled else f"{self.endpoint_id}\n{self.stream}\n{self.order_key}"

    @property
    def pending_pos(self) -> str | None:
        """Set while unsettled: every delivery still owed, oldest first (what the sweep looks through)."""
        return None if self.is_settled else self.order_key

    # -- transitions
    def claimable(self, now: datetime) -> bool:
        """Not settled, not held by a live sender, and (retrying) its time has come."""
        if self.is_settled:
            return False
        if self.state == DeliveryState.SENDING:
            return self.lease_until is None or self.lease_until <= now
        if self.state == DeliveryState.RETRYING:
            return self.next_attempt_at is None or self.next_attempt_at <= now
        return True

    def claim(self, holder: str, now: datetime, lease: timedelta) -> None:
        self.state = DeliveryState.SENDING
        self.holder = holder
        self.lease_until = now + lease
        self.next_attempt_at = None
        self.attempts += 1
        self.updated_at = now

    def held_by(self, holder: str) -> bool:
        return self.state == DeliveryState.SENDING and self.holder == holder

    def mark_delivered(self, status: int, now: datetime) -> None:
        self._release(now, f"{_stamp(now)} {status}")
        self.state = DeliveryState.DELIVERED
        self.last_status = status
        self.last_error = None
        self.delivered_at = now

    def mark_failed_attempt(self, error: str, status: int | None, now: datetime, rules: RetryRules,
                            *, permanent: bool = False) -> None:
        """A failed post: retried after a backoff until the budget (from the first failure) is spent."""
        self._release(now, f"{_stamp(now)} {status or '-'} {error}")
        self.last_error = error
        self.last_status = status
        self.first_failed_at = self.first_failed_at or now
        if permanent or now - self.first_failed_at >= rules.budget:
            self.state = DeliveryState.FAILED
            self.next_attempt_at = None
            return
        self.state = DeliveryState.RETRYING
        self.next_attempt_at = now + backoff(self.attempts, rules)

    def redeliver(self, now: datetime) -> None:
        """An admin's "redeliver": owed again from the start (same event id, so receivers can dedupe)."""
        self.state = DeliveryState.QUEUED
        self.attempts = 0
        self.first_failed_at = None
        self.next_attempt_at = None
        self.holder = None
        self.lease_until = None
        self.redelivered += 1
        self.updated_at = now

    def _release(self, now: datetime, line: str) -> None:
        self.holder = None
        self.lease_until = None
        self.updated_at = now
        self.history = [*self.history[-19:], line[:300]]


def backoff(attempts: int, rules: RetryRules) -> timedelta:
    """Doubling from `first` after each failed attempt, never beyond `ceiling`."""
    return min(rules.first * (2 ** max(attempts - 1, 0)), rules.ceiling) if attempts < 40 else rules.ceiling


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (Stripe's shape)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (docs/webhooks.md): the signature matches and its timestamp is recent."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return abs(now - timestamp) <= tolerance and hmac.compare_digest(expected, parts.get("v1", ""))


def stream_of(ticket_id: int | None, connection: str | None) -> str:
    return f"ticket-{ticket_id}" if ticket_id is not None else f"connection-{connection or ''}"


def _stamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")
