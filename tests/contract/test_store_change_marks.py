"""Contract: change marks, what the console's live poll reads (domain/change_marks.py).

A committed unit that writes a ticket, a comment or a notification moves the desk's mark and that ticket's mark
(a ticket the unit made has no mark of its own yet: no page can show it before it exists; the desk's mark still
moves, with no mark write: issue 18's three writes per new ticket); a unit that fails moves nothing; a unit that
writes none of those (a connection, a brand) leaves the marks alone, and other tickets' marks do not move. A store
that missed a move would leave agents' screens stale; one that moved on every lease renewal would make every idle
poll refetch the page.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gmail_tickets.domain.change_marks import ALL, ticket_key
from gmail_tickets.domain.model import Brand, Comment, Ticket
from gmail_tickets.domain.outbox import Notification, NotificationState
from gmail_tickets.ports import Store, UnitOfWork

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HELP = "help@acme.test"


class _Abandon(Exception):
    pass


def _ticket(store: Store) -> int:
    def work(uow: UnitOfWork) -> int:
        ticket_id = uow.add_ticket(Ticket("Printer", "ann@customer.test", HELP, created_at=T0))
        uow.add_comment(Comment(ticket_id, "Ann", "It is on fire", T0, HELP))  # one unit: one bump per mark
        return ticket_id

    return store.atomically(work)


def test_unknown_marks_read_zero(store: Store) -> None:
    assert store.change_marks([ALL, ticket_key(99)]) == {ALL: 0, ticket_key(99): 0}
    assert store.change_marks([]) == {}


def test_a_new_ticket_moves_the_desk_mark_and_writes_no_mark(store: Store) -> None:
    marks_before = getattr(store, "mark_writes", 0)
    first = _ticket(store)
    desk = store.change_marks([ALL])[ALL]
    assert desk != 0
    assert store.change_marks([ticket_key(first)]) == {ticket_key(first): 0}
    second = _ticket(store)
    marks = store.change_marks([ALL, ticket_key(first), ticket_key(second)])
    assert marks[ALL] > desk
    assert marks[ticket_key(first)] == marks[ticket_key(second)] == 0
    assert getattr(store, "mark_writes", 0) == marks_before  # Firestore: no changes/ document written


def test_comments_ticket_updates_and_notifications_bump_their_ticket(store: Store) -> None:
    ticket_id = _ticket(store)
    desks = [store.change_marks([ALL])[ALL]]
    store.atomically(lambda uow: uow.add_comment(Comment(ticket_id, "Ana", "On it", T0, HELP,
                                                         author_kind="agent")))
    assert store.change_marks([ticket_key(ticket_id)]) == {ticket_key(ticket_id): 1}
    desks.append(store.change_marks([ALL])[ALL])

    def reassign(uow: UnitOfWork) -> None:
        ticket = uow.get_ticket(ticket_id)
        assert ticket is not None
        ticket.assignee = "ana@acme.test"
        uow.put_ticket(ticket)

    store.atomically(reassign)
    desks.append(store.change_marks([ALL])[ALL])
    note = Notification(id=f"n-{ticket_id}", ticket_id=ticket_id, event="created", connection=HELP,
                        from_address=HELP, to=("ann@customer.test",), subject="s", text="t",
                        message_id="m@acme.test", created_at=T0)
    store.atomically(lambda uow: uow.put_notification(note))
    desks.append(store.change_marks([ALL])[ALL])
    note.state = NotificationState.SENT
    store.atomically(lambda uow: uow.put_notification(note))
    marks = store.change_marks([ALL, ticket_key(ticket_id)])
    desks.append(marks[ALL])
    assert marks[ticket_key(ticket_id)] == 4
    assert desks == sorted(set(desks)), desks  # each change moved the desk's mark forward


def test_a_failed_unit_or_other_records_bump_nothing(store: Store) -> None:
    ticket_id = _ticket(store)
    store.atomically(lambda uow: uow.add_comment(Comment(ticket_id, "Ann", "more", T0, HELP)))
    before = store.change_marks([ALL, ticket_key(ticket_id)])

    def abandoned(uow: UnitOfWork) -> None:
        uow.add_comment(Comment(ticket_id, "Ann", "lost", T0, HELP))
        raise _Abandon

    with pytest.raises(_Abandon):
        store.atomically(abandoned)
    store.atomically(lambda uow: uow.put_brand(Brand("acme", "Acme")))
    store.try_lease("sync:" + HELP, "holder", T0, 10)
    assert store.change_marks([ALL, ticket_key(ticket_id)]) == before == {**before, ticket_key(ticket_id): 1}
