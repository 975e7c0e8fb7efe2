"""The ticket lifecycle through the whole path (Gmail simulator over HTTP → adapter → services → store), on SQLite
and on the Firestore emulator: a customer's answer reopens a pending ticket, the sweep closes a solved one after
the configured days (an injected clock), and mail on a closed ticket opens a follow-up that links to it while the
closed ticket stays exactly as it was."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import format_datetime
from pathlib import Path

import pytest

from gmail_tickets.adapters.system_clock import SystemClock
from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.ticket_fields import CUSTOMER, SYSTEM, TicketStatus
from gmail_tickets.domain.ticket_lifecycle import FieldChanges
from gmail_tickets.services.agent_reply import reply_as_agent
from gmail_tickets.services.sweep import sweep
from gmail_tickets.services.sync_mailbox import sync_mailbox
from gmail_tickets.services.ticket_changes import update_ticket
from tests.integration.ingest_harness import IngestHarness, customer_mail

SUPPORT = "support@example.com"
ANA = "ana@acme.test"


@dataclass
class ShiftedClock:
    """Wall-clock time plus an offset the test moves forward (days pass without waiting)."""

    offset: timedelta = timedelta(0)

    def now(self) -> datetime:
        return SystemClock().now() + self.offset


@pytest.fixture
def harness(sim, sim_server, store, tmp_path: Path) -> Iterator[IngestHarness]:
    yield IngestHarness(sim, sim_server, store, tmp_path)


@pytest.fixture
def clock(harness: IngestHarness) -> ShiftedClock:
    harness.deps.clock = ShiftedClock()
    return harness.deps.clock  # type: ignore[return-value]


def _sync(harness: IngestHarness, raw: bytes) -> None:
    harness.deliver(raw)
    assert sync_mailbox(harness.deps, SUPPORT).status == "synced"


def _ticket(harness: IngestHarness, ticket_id: int) -> Ticket:
    ticket = harness.store.get_ticket(ticket_id)
    assert ticket is not None
    return ticket


def _dated(raw: bytes, when: datetime) -> bytes:
    msg = message_from_bytes(raw, policy=policy.default)
    msg.replace_header("Date", format_datetime(when))
    return msg.as_bytes()


def test_a_ticket_from_pending_to_reopened_solved_closed_and_followed_up(harness: IngestHarness,
                                                                          clock: ShiftedClock) -> None:
    sent_at = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
    first = _dated(customer_mail("Printer on fire"), sent_at)
    _sync(harness, first)
    [ticket] = harness.store.list_tickets()
    assert ticket.id is not None and ticket.status == TicketStatus.NEW
    assert ticket.received_at == sent_at and ticket.created_at is not None and ticket.created_at > sent_at

    reply_as_agent(harness.deps, ticket.id, author=ANA, body="Is it still smoking?",
                   submit_as=TicketStatus.PENDING, version=ticket.version)
    assert _ticket(harness, ticket.id).status == TicketStatus.PENDING

    _sync(harness, customer_mail(reply_to=first))  # the customer answers by mail
    reopened = _ticket(harness, ticket.id)
    assert reopened.status == TicketStatus.OPEN
    assert [(e.actor, e.old, e.new) for e in reopened.timeline] == [
        (ANA, "new", "pending"), (CUSTOMER, "pending", "open")]
    assert len(harness.store.comments(ticket.id)) == 3

    update_ticket(harness.deps, ticket.id, FieldChanges(status=TicketStatus.SOLVED), actor=ANA,
                  version=reopened.version)
    clock.offset = timedelta(days=3, hours=23)
    assert sweep(harness.deps).tickets_closed == []  # not yet: 4 days by default
    clock.offset = timedelta(days=4, minutes=1)
    assert sweep(harness.deps).tickets_closed == [ticket.id]
    closed = _ticket(harness, ticket.id)
    assert closed.status == TicketStatus.CLOSED and closed.timeline[-1].actor == SYSTEM
    closed_comments = harness.store.comments(ticket.id)

    _sync(harness, customer_mail(reply_to=first))  # mail answering the closed ticket
    follow_up = harness.store.list_tickets()[0]
    assert follow_up.id != ticket.id and follow_up.follow_up_of == ticket.id
    assert follow_up.status == TicketStatus.NEW and follow_up.requester == closed.requester
    assert _ticket(harness, ticket.id) == closed  # never changes
    assert harness.store.comments(ticket.id) == closed_comments

    _sync(harness, customer_mail(reply_to=first))  # the same thread again: the follow-up takes it
    assert [t.id for t in harness.store.list_tickets()] == [follow_up.id, ticket.id]
    assert len(harness.store.comments(follow_up.id)) == 2


def test_the_close_after_days_is_a_setting(harness: IngestHarness, clock: ShiftedClock) -> None:
    harness.deps.settings = dataclasses.replace(harness.deps.settings, close_solved_after_days=1)
    _sync(harness, customer_mail("Refund"))
    [ticket] = harness.store.list_tickets()
    assert ticket.id is not None
    update_ticket(harness.deps, ticket.id, FieldChanges(status=TicketStatus.SOLVED), actor=ANA, version=None)
    clock.offset = timedelta(days=1, seconds=5)
    assert sweep(harness.deps).tickets_closed == [ticket.id]


def test_a_customer_reply_to_a_solved_ticket_before_the_sweep_keeps_it_from_closing(
        harness: IngestHarness, clock: ShiftedClock) -> None:
    first = customer_mail("Invoice")
    _sync(harness, first)
    [ticket] = harness.store.list_tickets()
    assert ticket.id is not None
    update_ticket(harness.deps, ticket.id, FieldChanges(status=TicketStatus.SOLVED), actor=ANA, version=None)
    _sync(harness, customer_mail(reply_to=first))
    clock.offset = timedelta(days=10)
    assert sweep(harness.deps).tickets_closed == []
    assert _ticket(harness, ticket.id).status == TicketStatus.OPEN
