"""Contract: the ledger, the thread index built from it, and the unit of work around them.

The ledger is the exactly-once guarantee (design invariant 1): an entry is created in the same transaction as
the ticket or comment it records, and a second attempt must fail and take its whole unit of work with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from gmail_tickets.domain.model import (
    Comment,
    Connection,
    LedgerEntry,
    Outcome,
    QuarantineRecord,
    Ticket,
)
from gmail_tickets.errors import AlreadyRecorded
from gmail_tickets.ports import Store, UnitOfWork

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
RecordTicket = Callable[..., int]  # the `record_ticket` fixture: creates ticket + comment + ledger, returns id
HELP = "help@acme.test"
SALES = "sales@acme.test"


def _entry(gmail_message_id: str, outcome: Outcome = Outcome.SUSPENDED, connection: str = HELP,
           **fields: object) -> LedgerEntry:
    return LedgerEntry(connection=connection, gmail_message_id=gmail_message_id, outcome=outcome,
                       **fields)  # type: ignore[arg-type]


def _add(store: Store, *entries: LedgerEntry, thread_id: str | None = None) -> None:
    def work(uow: UnitOfWork) -> None:
        for entry in entries:
            uow.add_ledger(entry, thread_id=thread_id)

    store.atomically(work)


# --------------------------------------------------------------------------- entries


def test_ledger_entry_round_trips_every_field(store: Store, record_ticket: RecordTicket) -> None:
    ticket_id = record_ticket(HELP, gmail_message_id="m-1")
    full = LedgerEntry(connection=HELP, gmail_message_id="m-2", outcome=Outcome.COMMENT, ticket_id=ticket_id,
                       comment_id="c0ffee", rfc_message_id="CAF=xyz@mail.gmail.com", created_at=T0)
    bare = LedgerEntry(connection=HELP, gmail_message_id="m-3", outcome=Outcome.IGNORED)
    _add(store, full, bare)

    got_full = store.atomically(lambda uow: uow.get_ledger(HELP, "m-2"))
    got_bare = store.atomically(lambda uow: uow.get_ledger(HELP, "m-3"))

    assert got_full == full
    assert got_bare == bare
    assert got_full is not None and got_full.created_at is not None
    assert isinstance(got_full.outcome, Outcome)
    assert got_full.created_at.utcoffset() == timedelta(0)
    assert store.atomically(lambda uow: uow.get_ledger(HELP, "m-404")) is None
    assert store.atomically(lambda uow: uow.get_ledger(SALES, "m-2")) is None


def test_the_same_gmail_id_in_two_mailboxes_are_two_entries(store: Store) -> None:
    _add(store, _entry("same", connection=HELP), _entry("same", Outcome.IGNORED, connection=SALES))

    assert store.atomically(lambda uow: uow.get_ledger(SALES, "same")) == _entry("same", Outcome.IGNORED,
                                                                                 connection=SALES)
    assert store.atomically(lambda uow: uow.get_ledger(HELP, "same")) == _entry("same", connection=HELP)


def test_second_ledger_entry_is_already_recorded_and_keeps_the_first(store: Store) -> None:
    _add(store, _entry("m-1", Outcome.SUSPENDED, rfc_message_id="first@x"))

    with pytest.raises(AlreadyRecorded):
        _add(store, _entry("m-1", Outcome.IGNORED, rfc_message_id="second@x"))

    assert store.atomically(lambda uow: uow.get_ledger(HELP, "m-1")) == _entry(
        "m-1", Outcome.SUSPENDED, rfc_message_id="first@x"
    )


def test_already_recorded_rolls_back_the_whole_unit_of_work(store: Store, record_ticket: RecordTicket) -> None:
    record_ticket(HELP, gmail_message_id="m-1")
    tickets_before = store.list_tickets()
    writes_before = store.write_count

    def duplicate(uow: UnitOfWork) -> None:
        ticket_id = uow.add_ticket(Ticket("dup", "r@x.test", HELP, created_at=T0))
        comment_id = uow.add_comment(Comment(ticket_id=ticket_id, author="r@x.test", body_text="again",
                                             created_at=T0, connection=HELP))
        uow.add_ledger(_entry("m-1", Outcome.TICKET, ticket_id=ticket_id, comment_id=comment_id),
                       thread_id="thread-dup")

    with pytest.raises(AlreadyRecorded):
        store.atomically(duplicate)

    assert store.list_tickets() == tickets_before
    assert store.write_count == writes_before
    assert store.atomically(lambda uow: uow.ticket_for_thread(HELP, "thread-dup")) is None


def test_an_exception_inside_atomically_rolls_back_everything(store: Store, record_ticket: RecordTicket) -> None:
    record_ticket(HELP, gmail_message_id="m-0")
    store.save_connection(Connection(address=HELP, history_id=1))
    writes_before = store.write_count

    class Boom(Exception):
        pass

    def work(uow: UnitOfWork) -> None:
        connection = uow.get_connection(HELP)
        assert connection is not None
        connection.history_id = 999
        uow.put_connection(connection)
        uow.put_connection(Connection(address=SALES))
        ticket_id = uow.add_ticket(Ticket("lost", "r@x.test", HELP))
        uow.add_comment(Comment(ticket_id=ticket_id, author="r@x.test", body_text="lost", created_at=T0,
                                connection=HELP))
        uow.add_ledger(_entry("m-1", Outcome.TICKET, ticket_id=ticket_id), thread_id="t-lost")
        uow.add_quarantine(QuarantineRecord(id="q-lost", connection=HELP, reason="r", raw=b"x", source="gmail"))
        raise Boom("after every write")

    with pytest.raises(Boom):
        store.atomically(work)

    assert store.get_connection(HELP) == Connection(address=HELP, history_id=1)
    assert store.get_connection(SALES) is None
    assert [t.subject for t in store.list_tickets()] == ["Printer on fire"]
    assert store.ledger_contains(HELP, ["m-0", "m-1"]) == {"m-0"}
    assert store.list_quarantine() == []
    assert store.write_count == writes_before


def test_atomically_returns_what_the_function_returns(store: Store) -> None:
    assert store.atomically(lambda uow: ("result", uow.get_connection(HELP))) == ("result", None)


def test_a_new_ticket_costs_exactly_three_writes(store: Store, record_ticket: RecordTicket) -> None:
    record_ticket(HELP, gmail_message_id="warm-up", thread_id="t-0", rfc_message_id="warm@x")  # first-use setup
    before = store.write_count

    record_ticket(HELP, gmail_message_id="m-1", thread_id="t-1", rfc_message_id="m1@x")

    assert store.write_count - before == 3


# --------------------------------------------------------------------------- bulk reads


def test_ledger_contains_many_ids(store: Store) -> None:
    recorded = [f"msg-{i:04d}" for i in range(250)]
    _add(store, *(_entry(i) for i in recorded))
    _add(store, *(_entry(f"msg-{i:04d}", connection=SALES) for i in range(250, 300)))

    asked = [f"msg-{i:04d}" for i in range(0, 300)] + recorded[:10]  # duplicates are harmless

    assert store.ledger_contains(HELP, asked) == set(recorded)
    assert store.ledger_contains(SALES, asked) == {f"msg-{i:04d}" for i in range(250, 300)}
    assert store.ledger_contains(HELP, []) == set()
    assert store.ledger_contains("nobody@acme.test", asked) == set()


def test_ledger_counts_every_outcome_per_connection_and_overall(store: Store, record_ticket: RecordTicket) -> None:
    ticket_id = record_ticket(HELP, gmail_message_id="h-1")
    _add(store, _entry("h-2", Outcome.COMMENT, ticket_id=ticket_id), _entry("h-3", Outcome.SUSPENDED),
         _entry("h-4", Outcome.SUSPENDED), _entry("s-1", Outcome.IGNORED, connection=SALES),
         _entry("s-2", Outcome.QUARANTINED, connection=SALES), _entry("s-3", Outcome.SUSPENDED, connection=SALES))

    assert store.ledger_counts(HELP) == {Outcome.TICKET: 1, Outcome.COMMENT: 1, Outcome.SUSPENDED: 2,
                                         Outcome.IGNORED: 0, Outcome.QUARANTINED: 0}
    assert store.ledger_counts() == {Outcome.TICKET: 1, Outcome.COMMENT: 1, Outcome.SUSPENDED: 3,
                                     Outcome.IGNORED: 1, Outcome.QUARANTINED: 1}
    assert store.ledger_counts("nobody@acme.test") == dict.fromkeys(Outcome, 0)


# --------------------------------------------------------------------------- thread index


def test_ticket_for_thread(store: Store, record_ticket: RecordTicket) -> None:
    first = record_ticket(HELP, thread_id="thread-1")
    second = record_ticket(HELP, thread_id="thread-2")
    _add(store, _entry("c-1", Outcome.COMMENT, ticket_id=first), thread_id="thread-3")  # a comment's thread counts
    _add(store, _entry("s-1", Outcome.SUSPENDED), thread_id="thread-4")  # no ticket: not indexed
    _add(store, _entry("n-1", Outcome.SUSPENDED))  # no thread at all

    def lookup(connection: str, thread_id: str) -> int | None:
        return store.atomically(lambda uow: uow.ticket_for_thread(connection, thread_id))

    assert lookup(HELP, "thread-1") == first
    assert lookup(HELP, "thread-2") == second
    assert lookup(HELP, "thread-3") == first
    assert lookup(HELP, "thread-4") is None
    assert lookup(HELP, "thread-unknown") is None
    assert lookup(SALES, "thread-1") is None  # thread ids are per mailbox


def test_ticket_for_message_ids(store: Store, record_ticket: RecordTicket) -> None:
    first = record_ticket(HELP, rfc_message_id="one@customer.test")
    second = record_ticket(SALES, rfc_message_id="two@customer.test")
    _add(store, _entry("c-1", Outcome.COMMENT, ticket_id=first, rfc_message_id="three@customer.test"))
    _add(store, _entry("s-1", Outcome.SUSPENDED, rfc_message_id="suspended@customer.test"))

    def lookup(*ids: str) -> int | None:
        return store.atomically(lambda uow: uow.ticket_for_message_ids(list(ids)))

    assert lookup("one@customer.test") == first
    assert lookup("two@customer.test") == second  # global: another mailbox's mail threads too
    assert lookup("three@customer.test") == first
    assert lookup("unknown@x", "two@customer.test", "one@customer.test") == second  # first known id wins
    assert lookup("one@customer.test", "two@customer.test") == first
    assert lookup("suspended@customer.test") is None
    assert lookup("unknown@x", "other@x") is None
    assert lookup() is None
    long_references = [f"ref-{i}@x" for i in range(45)] + ["two@customer.test"]
    assert lookup(*long_references) == second
