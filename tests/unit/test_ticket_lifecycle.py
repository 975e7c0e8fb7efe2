"""The ticket lifecycle as tables: who may move a ticket from which status to which, and what each move leaves
in the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.ticket_fields import (
    CUSTOMER,
    SYSTEM,
    Priority,
    TicketStatus,
    normalise_tags,
    split_tags,
)
from gmail_tickets.domain.ticket_lifecycle import (
    FieldChanges,
    UpdateRefused,
    agent_update,
    changed_by,
    changes_since,
    close_due,
    customer_replied,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ANA = "ana@acme.test"
S = TicketStatus


def _ticket(status: TicketStatus = S.NEW, **fields: object) -> Ticket:
    ticket = Ticket(subject="Printer", requester="ann@customer.test", connection="help@acme.test", id=1,
                    **fields)  # type: ignore[arg-type]
    ticket.status = status
    if status == S.SOLVED:
        ticket.solved_at = T0 - timedelta(days=1)
    return ticket


@pytest.mark.parametrize(("before", "submit_as", "after"), [
    (S.NEW, None, S.OPEN),  # the first agent action opens a new ticket
    (S.NEW, S.PENDING, S.PENDING),
    (S.NEW, S.SOLVED, S.SOLVED),
    (S.OPEN, None, S.OPEN),
    (S.OPEN, S.PENDING, S.PENDING),
    (S.OPEN, S.ON_HOLD, S.ON_HOLD),
    (S.PENDING, S.SOLVED, S.SOLVED),
    (S.ON_HOLD, S.OPEN, S.OPEN),
    (S.SOLVED, S.OPEN, S.OPEN),
    (S.SOLVED, None, S.SOLVED),
])
def test_an_agent_submits_a_ticket_as(before: TicketStatus, submit_as: TicketStatus | None,
                                      after: TicketStatus) -> None:
    ticket = _ticket(before)
    entries = agent_update(ticket, FieldChanges(status=submit_as), actor=ANA, now=T0)
    assert ticket.status == after
    assert [(e.field, e.old, e.new, e.actor) for e in entries] == (
        [] if before == after else [("status", before.value, after.value, ANA)])
    assert ticket.solved_at == (T0 if after == S.SOLVED and before != S.SOLVED else
                                (T0 - timedelta(days=1) if after == S.SOLVED else None))


@pytest.mark.parametrize("chosen", [S.NEW, S.CLOSED])
def test_an_agent_cannot_choose_new_or_closed(chosen: TicketStatus) -> None:
    with pytest.raises(UpdateRefused):
        agent_update(_ticket(S.OPEN), FieldChanges(status=chosen), actor=ANA, now=T0)


def test_a_closed_ticket_never_changes() -> None:
    ticket = _ticket(S.CLOSED)
    for changes in (FieldChanges(), FieldChanges(status=S.OPEN), FieldChanges(priority=Priority.HIGH)):
        with pytest.raises(UpdateRefused, match="closed"):
            agent_update(ticket, changes, actor=ANA, now=T0)
    assert customer_replied(ticket, T0) == [] and ticket.status == S.CLOSED
    assert close_due(ticket, T0, timedelta(days=4)) == []
    assert ticket.version == 0 and ticket.timeline == []


@pytest.mark.parametrize(("before", "after"), [
    (S.NEW, S.NEW), (S.OPEN, S.OPEN), (S.PENDING, S.OPEN), (S.ON_HOLD, S.OPEN), (S.SOLVED, S.OPEN),
])
def test_a_customer_reply_reopens_pending_on_hold_and_solved(before: TicketStatus, after: TicketStatus) -> None:
    ticket = _ticket(before)
    entries = customer_replied(ticket, T0)
    assert ticket.status == after
    assert [(e.actor, e.old, e.new) for e in entries] == ([] if before == after else
                                                          [(CUSTOMER, before.value, "open")])
    assert ticket.solved_at is None


@pytest.mark.parametrize(("solved_ago", "closes"), [
    (timedelta(days=4), True), (timedelta(days=4, seconds=1), True), (timedelta(days=3, hours=23), False),
])
def test_the_sweep_closes_tickets_solved_long_enough_ago(solved_ago: timedelta, closes: bool) -> None:
    ticket = _ticket(S.SOLVED)
    ticket.solved_at = T0 - solved_ago
    entries = close_due(ticket, T0, timedelta(days=4))
    assert (ticket.status == S.CLOSED) is closes
    assert [(e.actor, e.new) for e in entries] == ([(SYSTEM, "closed")] if closes else [])


@pytest.mark.parametrize("status", [S.NEW, S.OPEN, S.PENDING, S.ON_HOLD, S.CLOSED])
def test_the_sweep_closes_nothing_but_solved_tickets(status: TicketStatus) -> None:
    ticket = _ticket(status, solved_at=T0 - timedelta(days=30))
    assert close_due(ticket, T0, timedelta(days=4)) == [] and ticket.status == status


def test_one_submit_is_one_version_with_an_entry_per_field_changed() -> None:
    ticket = _ticket(S.NEW)
    entries = agent_update(ticket, FieldChanges(status=S.PENDING, priority=Priority.URGENT, assignee=" Ana@Acme.test ",
                                                tags=["Billing", "billing", "VIP customer"]), actor=ANA, now=T0)
    assert [(e.field, e.old, e.new) for e in entries] == [
        ("status", "new", "pending"), ("priority", "normal", "urgent"), ("assignee", None, ANA),
        ("tags", "", "billing vip_customer")]
    assert {e.version for e in entries} == {1} and ticket.version == 1
    assert (ticket.assignee, ticket.tags) == (ANA, ["billing", "vip_customer"])

    assert agent_update(ticket, FieldChanges(priority=Priority.URGENT, tags=["billing", "VIP customer"]),
                        actor=ANA, now=T0) == []  # nothing changed: no entry, no new version
    assert ticket.version == 1

    later = agent_update(ticket, FieldChanges(assignee=""), actor="bo@acme.test", now=T0 + timedelta(minutes=1))
    assert [(e.field, e.old, e.new, e.version) for e in later] == [("assignee", ANA, None, 2)]
    assert changes_since(ticket, 1) == later and changes_since(ticket, 2) == []
    assert changed_by(changes_since(ticket, 0)) == [ANA, "bo@acme.test"]


def test_assignee_is_left_alone_unless_named() -> None:
    ticket = _ticket(S.OPEN, assignee=ANA)
    agent_update(ticket, FieldChanges(priority=Priority.LOW), actor=ANA, now=T0)
    assert ticket.assignee == ANA


@pytest.mark.parametrize(("given", "kept"), [
    (["Billing", " billing ", "BILLING"], ["billing"]),
    (["two words", "Two   Words"], ["two_words"]),
    (["", "  ", "ok"], ["ok"]),
    (["b", "a", "b"], ["b", "a"]),
])
def test_tags_are_lower_case_without_spaces_and_each_once(given: list[str], kept: list[str]) -> None:
    assert normalise_tags(given) == kept


def test_tags_typed_in_one_field_split_on_commas_and_spaces() -> None:
    assert split_tags("VIP, billing  refund,,vip") == ["vip", "billing", "refund"]



def test_an_assignee_longer_than_an_email_address_is_refused() -> None:
    ticket = _ticket(S.OPEN)
    with pytest.raises(UpdateRefused, match="254"):
        agent_update(ticket, FieldChanges(assignee="a" * 250 + "@x.io"), actor=ANA, now=T0)
    assert ticket.assignee is None and ticket.version == 0
