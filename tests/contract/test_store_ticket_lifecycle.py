"""Contract: the lifecycle's fields survive both stores, and "which solved tickets are due to close" is answered
from solved_at alone — the longest solved first, bounded, and never a ticket that left solved."""

from __future__ import annotations

from datetime import timedelta

from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.ticket_fields import Priority, TicketStatus
from gmail_tickets.domain.ticket_lifecycle import FieldChanges, agent_update, close_due, customer_replied
from gmail_tickets.ports import Store, UnitOfWork
from tests.contract.conftest import T0


def _ticket(store: Store) -> int:
    ticket = Ticket(subject="s", requester="ann@customer.test", connection="help@acme.test", created_at=T0,
                    received_at=T0 - timedelta(days=30))
    return store.atomically(lambda uow: uow.add_ticket(ticket))


def _change(store: Store, ticket_id: int, change: object) -> Ticket:
    def work(uow: UnitOfWork) -> Ticket:
        ticket = uow.get_ticket(ticket_id)
        assert ticket is not None
        change(ticket)  # type: ignore[operator]
        uow.put_ticket(ticket)
        return ticket

    return store.atomically(work)


def _solve(store: Store, ticket_id: int, at: object) -> Ticket:
    return _change(store, ticket_id, lambda t: agent_update(
        t, FieldChanges(status=TicketStatus.SOLVED), actor="ana@acme.test", now=at))


def test_a_worked_ticket_round_trips_with_its_timeline(store: Store) -> None:
    ticket_id = _ticket(store)
    changed = _change(store, ticket_id, lambda t: agent_update(
        t, FieldChanges(status=TicketStatus.PENDING, priority=Priority.URGENT, assignee="Ana@Acme.test",
                        tags=["VIP", "vip", "billing issue"]), actor="ana@acme.test", now=T0))

    stored = store.get_ticket(ticket_id)
    assert stored == changed
    assert stored is not None
    assert (stored.status, stored.priority, stored.assignee, stored.tags, stored.version) == (
        TicketStatus.PENDING, Priority.URGENT, "ana@acme.test", ["vip", "billing_issue"], 1)
    assert stored.received_at == T0 - timedelta(days=30) and stored.created_at == T0
    assert [(e.field, e.old, e.new, e.actor, e.version) for e in stored.timeline] == [
        ("status", "new", "pending", "ana@acme.test", 1), ("priority", "normal", "urgent", "ana@acme.test", 1),
        ("assignee", None, "ana@acme.test", "ana@acme.test", 1), ("tags", "", "vip billing_issue", "ana@acme.test", 1)]
    assert store.list_tickets()[0] == changed


def test_solved_before_lists_solved_tickets_due_longest_solved_first_and_bounded(store: Store) -> None:
    late, early, fresh, reopened, never = (_ticket(store) for _ in range(5))
    _solve(store, late, T0 - timedelta(days=5))
    _solve(store, early, T0 - timedelta(days=9))
    _solve(store, fresh, T0 - timedelta(days=1))
    _solve(store, reopened, T0 - timedelta(days=10))
    _change(store, reopened, lambda t: customer_replied(t, T0 - timedelta(days=8)))

    due = store.solved_before(T0 - timedelta(days=4), limit=10)
    assert [t.id for t in due] == [early, late]
    assert [t.id for t in store.solved_before(T0 - timedelta(days=4), limit=1)] == [early]
    assert store.solved_before(T0 - timedelta(days=20), limit=10) == []
    assert never not in [t.id for t in store.solved_before(T0, limit=10)]


def test_a_closed_ticket_leaves_the_solved_index(store: Store) -> None:
    ticket_id = _ticket(store)
    _solve(store, ticket_id, T0 - timedelta(days=5))
    closed = _change(store, ticket_id, lambda t: close_due(t, T0, timedelta(days=4)))

    assert closed.status == TicketStatus.CLOSED and closed.solved_at is None
    assert store.solved_before(T0, limit=10) == []
    assert [e.actor for e in closed.timeline] == ["ana@acme.test", "system"]
