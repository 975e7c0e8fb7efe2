"""The outbox: each notification we owe someone is a record, created in the same transaction as the event that
caused it (a new ticket, an agent's reply), so an event yields its mail exactly when it commits.

The record's id is its idempotency key, (ticket, event, recipients): a trigger that runs again finds its record
and adds nothing. Delivery moves the record along

    queued ──claim──▶ sending(route) ──▶ sent
                       ▲   │       └───▶ failed   (visible in the console, never silently dropped)
        the sweep, once│   │ transient failure
        its time comes │   ▼
                      retrying (next_attempt_at, reason; backoff to a ceiling, failed once the budget is spent)
    skipped: made settled, never sent (an acknowledgement the anti-spam rules held back, with the reason)

and every move is a transaction on the record, so at-least-once events deliver it at most once per route:
- a claim is taken by one sender at a time (`lease_until`, short and renewed by the sender while it works, so a
  sender that dies holds the record for one lease); a redelivered event meanwhile waits;
- a claim whose sender vanished (crash) is settled, not repeated blindly, via Gmail: by looking for our Message-ID
  in the account's SENT folder. Via the relay, which keeps no such record, the mail is sent again with the SAME
  Message-ID, as every mail server does in that one ambiguous moment (RFC 5321 §6.1 prefers a duplicate to a
  loss): receivers collapse copies with one Message-ID, and the record counts such resends and says so.

Pure: transitions return nothing but change the record handed in, inside the caller's transaction.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from gmail_tickets.domain import send_window
from gmail_tickets.domain.model import OutboundMail, OutgoingAttachment, unique_addresses
from gmail_tickets.domain.said import N_
from gmail_tickets.domain.triggers import to_agents

RESENT_NOTE = N_("Sent again after its sender was interrupted while handing it to the relay; if the relay had "
                 "taken the first copy, the recipient has two with one Message-ID.")  # the console translates it


class NotificationState(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    RETRYING = "retrying"  # a transient failure: waits for `next_attempt_at`, when the sweep publishes it again
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # automatic mail the rules held back (domain/ack_policy.py): kept, with the reason, unsent


class NotificationEvent(enum.StrEnum):
    TICKET_CREATED = "created"  # the acknowledgement to the requester
    AGENT_REPLY = "reply"  # an agent's reply, to the requester and the followers
    ASSIGNED = "assigned"  # "assigned:{ticket}:{version}": the assignee told of the assignment
    CUSTOMER_REPLY = "customer-reply"  # "customer-reply:{comment id}": the assignee told of the customer's mail
    SOLVED = "solved"  # "solved:{ticket}:{version}": the requester told the ticket was solved


Via = Literal["gmail", "relay"]


@dataclass(frozen=True)
class AttachmentRef:
    """A file to send, by its BlobStore key: the bytes stay out of the record (and out of Firestore's 1 MiB)."""

    filename: str
    content_type: str
    size: int
    blob_key: str


@dataclass
class Notification:
    """One mail we owe, with everything needed to build it again identically on a retry (same Message-ID)."""

    id: str
    ticket_id: int
    event: str  # "created", "reply:<comment id>", or a trigger's key (domain/triggers.py)
    connection: str  # the Gmail account (support address) it goes out from
    from_address: str
    to: tuple[str, ...]
    subject: str
    text: str
    message_id: str  # ours, signed; fixed at creation so a crashed Gmail send can be found in SENT
    from_name: str = ""
    cc: tuple[str, ...] = ()
    reply_to: str | None = None
    html: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    automatic: bool = True
    attachments: tuple[AttachmentRef, ...] = ()
    gmail_thread_id: str | None = None  # the ticket's thread in that account: threads our copy in its Sent folder
    state: NotificationState = NotificationState.QUEUED
    route: Via | None = None
    route_reason: str = ""
    force_relay: bool = False  # Gmail refused it for good (limit, permanent error): the relay only from now on
    attempts: int = 0
    last_error: str | None = None
    holder: str | None = None
    lease_until: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    sent_at: datetime | None = None
    gmail_message_id: str | None = None
    next_attempt_at: datetime | None = None  # retrying: when the sweep publishes it again (indexed by the stores)
    first_failed_at: datetime | None = None  # the first transient failure: the retry budget runs from here
    resent_after_interruption: int = 0  # sent again after the relay hand-over was cut off (the record says so)

    @property
    def interruption_note(self) -> str | None:
        """What the console shows for as long as the record lives once it was sent again after an interruption."""
        return RESENT_NOTE if self.resent_after_interruption else None

    @property
    def recipients(self) -> tuple[str, ...]:
        return unique_addresses((*self.to, *self.cc))

    @property
    def has_attachments(self) -> bool:
        return bool(self.attachments)

    @property
    def is_settled(self) -> bool:
        return self.state in (NotificationState.SENT, NotificationState.FAILED, NotificationState.SKIPPED)

    @property
    def counted_recipient(self) -> str | None:
        """For automatic mail we meant to send (not skipped): its recipient, lower-cased, which the stores index
        with the account and the creation time so the acknowledgement limits are index-served counts. Mail to
        our own agents (assignment, a customer's reply) is not counted: the limits guard customers' inboxes and
        must not be used up by a busy team's own notifications."""
        if not self.automatic or self.state == NotificationState.SKIPPED or not self.to or to_agents(self.event):
            return None
        return self.to[0].strip().lower()

    def skip(self, reason: str, now: datetime) -> None:
        """Held back by the rules: settled as skipped, the reason kept for the console."""
        self.state = NotificationState.SKIPPED
        self.last_error = reason
        self.updated_at = now

    def mail(self, attachments: tuple[OutgoingAttachment, ...] = ()) -> OutboundMail:
        """The domain mail to build bytes from; `attachments` carries the files' bytes (relay only)."""
        return OutboundMail(
            from_address=self.from_address, from_name=self.from_name, to=self.to, cc=self.cc,
            reply_to=self.reply_to, subject=self.subject, text=self.text, html=self.html,
            message_id=self.message_id, in_reply_to=self.in_reply_to, references=self.references,
            automatic=self.automatic, attachments=attachments,
        )

    # -- transitions (each inside one store transaction)

    def claim(self, via: Via, reason: str, *, holder: str, now: datetime, lease: timedelta) -> None:
        self.state = NotificationState.SENDING
        self.route = via
        self.route_reason = reason
        self.attempts += 1
        self.next_attempt_at = None
        self.holder = holder
        self.lease_until = now + lease
        self.updated_at = now

    def mark_sent(self, now: datetime, *, gmail_message_id: str | None = None, note: str | None = None) -> None:
        self.state = NotificationState.SENT
        self.sent_at = now
        self.updated_at = now
        self.gmail_message_id = gmail_message_id
        self.last_error = note
        self.holder = None
        self.lease_until = None

    def retry_later(self, error: str, *, at: datetime, now: datetime, resend: bool = False) -> None:
        """A transient failure: released, and waiting for `at` (the sweep publishes it then); the first failure
        starts the retry budget's clock. `resend`: the relay may have taken it already (counted as a resend)."""
        self.resent_after_interruption += int(resend)
        self.state = NotificationState.RETRYING
        self.last_error = error
        self.next_attempt_at = at
        self.first_failed_at = self.first_failed_at or now
        self.updated_at = now
        self.holder = None
        self.lease_until = None

    def resend_after_interruption(self, *, holder: str, now: datetime, lease: timedelta) -> None:
        """Its relay sender vanished mid-hand-over: claimed again on the relay, to send the same mail (same
        Message-ID) once more; counted, and the retry budget's clock started as for any failure."""
        self.claim("relay", self.route_reason, holder=holder, now=now, lease=lease)
        self.resent_after_interruption += 1
        self.first_failed_at = self.first_failed_at or now
        self.last_error = RESENT_NOTE

    def fail(self, error: str, now: datetime) -> None:
        self.state = NotificationState.FAILED
        self.next_attempt_at = None
        self.last_error = error
        self.updated_at = now
        self.holder = None
        self.lease_until = None

    def recheck_later(self, error: str, *, now: datetime) -> None:
        """Gmail may have sent it: its hold ends now (still "sending", so no one routes it afresh), and the sender
        that takes it over once Gmail's search can show the mail looks in SENT first (delivery.claim_action)."""
        self.last_error = error
        self.lease_until = now
        self.updated_at = now

    def extend_lease(self, until: datetime) -> None:
        """Its sender's heartbeat: held longer, never shorter."""
        self.lease_until = until if self.lease_until is None else max(self.lease_until, until)

    def move_to_relay(self, reason: str, *, now: datetime, lease: timedelta) -> None:
        """The relay only, from now on; still held by this sender, with a fresh lease and the relay's own count of
        attempts (Gmail's failures do not use up the relay's retries)."""
        self.force_relay = True
        self.route = "relay"
        self.route_reason = reason
        self.attempts = 1
        self.lease_until = now + lease
        self.updated_at = now

    def reroute(self, via: Via, reason: str, *, lease_until: datetime) -> None:
        """Not found in SENT after an interrupted send: still held, on the route chosen afresh."""
        self.route = via
        self.route_reason = reason
        self.lease_until = lease_until

    def held_by(self, holder: str | None) -> bool:
        """Only the sender holding the record may settle it; one that outlived its lease writes nothing."""
        return self.state == NotificationState.SENDING and self.holder == holder

    def requeue(self, now: datetime) -> None:
        """An admin's "send again" of a failed notification: a fresh start, on whichever route fits now."""
        self.state = NotificationState.QUEUED
        self.attempts = 0
        self.first_failed_at = None
        self.next_attempt_at = None
        self.force_relay = False
        self.last_error = None
        self.updated_at = now

    def lease_expired(self, now: datetime) -> bool:
        return self.lease_until is None or self.lease_until <= now


_EVENT_SLUG = re.compile(r"[^a-z0-9]+")


def notification_id(ticket_id: int, event: str, recipients: tuple[str, ...] | list[str]) -> str:
    """The idempotency key (ticket, event, recipients): the same trigger for the same people is the same record.

    Recipients are compared case-insensitively and in any order; the hash keeps the id short and free of the
    characters document ids forbid."""
    people = ",".join(sorted({r.strip().lower() for r in recipients}))
    digest = hashlib.sha256(people.encode()).hexdigest()[:16]
    slug = _EVENT_SLUG.sub("-", event.lower()).strip("-")
    return f"t{ticket_id}-{slug}-{digest}"


@dataclass
class SendWindow:
    """One account's Gmail sends over the rolling 24 h (recipients in hourly buckets, see send_window), and,
    when Gmail itself answered its sending-limit error, until when the relay is used without asking Gmail."""

    address: str
    buckets: dict[datetime, int] = field(default_factory=dict)
    blocked_until: datetime | None = None

    def sent(self, now: datetime) -> int:
        return send_window.sent_in_window(self.buckets, now)

    def record(self, now: datetime, recipients: int) -> None:
        self.buckets = send_window.record(self.buckets, now, recipients)

    def drop_stale(self, now: datetime) -> None:
        """Forget the buckets that left the window (whoever writes the window drops them: no sweep does)."""
        self.buckets = {hour: n for hour, n in self.buckets.items() if send_window.counts(hour, now)}

    def block(self, until: datetime) -> None:
        """Gmail answered its sending-limit error: the relay for this account, without asking Gmail, until then."""
        self.blocked_until = until

    def blocked(self, now: datetime) -> bool:
        return self.blocked_until is not None and self.blocked_until > now

    def limit_reached(self, now: datetime, limit: int) -> bool:
        """What the console warns about: "send limit reached, relay in use"."""
        return self.blocked(now) or self.sent(now) >= limit
