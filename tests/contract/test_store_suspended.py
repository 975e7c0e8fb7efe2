"""Contract: suspended mail (kept and shown to admins, no ticket) and the per-sender count that detects bursts.

A suspended mail is recorded like any other outcome: its record and its ledger entry commit together or not at
all, so a redelivery neither loses it nor lists it twice. recent_mail_count is what decides that a sender is
flooding us, so its window edges are part of the contract.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gmail_tickets.domain.model import LedgerEntry, Outcome, SuspendedMail
from gmail_tickets.errors import AlreadyRecorded
from gmail_tickets.ports import Store, UnitOfWork

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
CEST = timezone(timedelta(hours=2))
HELP = "help@acme.test"
SALES = "sales@acme.test"
ANN = "ann@customer.test"
US = timedelta(microseconds=1)


def _suspended(record_id: str, created_at: datetime = T0, **fields: object) -> SuspendedMail:
    values: dict[str, object] = {
        "connection": HELP, "gmail_message_id": f"g-{record_id}", "sender": ANN,
        "subject": f"Out of office ({record_id})", "reason": "auto_reply", "raw_key": f"raw/{record_id}.eml",
    }
    values.update(fields)
    return SuspendedMail(id=record_id, created_at=created_at, **values)  # type: ignore[arg-type]


def _suspend(store: Store, record: SuspendedMail) -> None:
    """Record a suspended mail with its ledger entry, as ingest does."""

    def work(uow: UnitOfWork) -> None:
        uow.add_ledger(LedgerEntry(connection=record.connection, gmail_message_id=record.gmail_message_id,
                                   outcome=Outcome.SUSPENDED, created_at=record.created_at, sender=record.sender,
                                   raw_key=record.raw_key))
        uow.add_suspended(record)

    store.atomically(work)


def _add_ledger(store: Store, *entries: LedgerEntry) -> None:
    def work(uow: UnitOfWork) -> None:
        for entry in entries:
            uow.add_ledger(entry)

    store.atomically(work)


# --------------------------------------------------------------------------- suspended mail


def test_suspended_mail_round_trips_every_field(store: Store) -> None:
    full = _suspended("s-1", T0.astimezone(CEST), sender="Noreply@Vendor.TEST", subject="Ünïcode ✓",
                      reason="burst")
    bare = _suspended("s-2", T0 - timedelta(days=1), raw_key=None)

    store.atomically(lambda uow: uow.add_suspended(full))
    store.atomically(lambda uow: uow.add_suspended(bare))

    got = store.list_suspended()
    assert got == [full, bare]
    assert got[0].sender == "Noreply@Vendor.TEST"  # shown as it came; only the ledger's sender is normalised
    assert got[0].created_at.utcoffset() == timedelta(0)
    assert got[1].raw_key is None


def test_list_suspended_is_newest_first_then_latest_stored_first(store: Store) -> None:
    later = _suspended("a-later", T0 + timedelta(minutes=1))
    earliest = _suspended("b-earliest", T0 - timedelta(hours=1))
    middle = _suspended("c-middle", T0)
    later_too = _suspended("d-later-too", T0 + timedelta(minutes=1))  # same moment as `later`, stored after it
    store.atomically(lambda uow: [uow.add_suspended(later), uow.add_suspended(earliest)])
    store.atomically(lambda uow: uow.add_suspended(middle))
    store.atomically(lambda uow: uow.add_suspended(later_too))

    assert store.list_suspended() == [later_too, later, middle, earliest]
    assert store.list_suspended(limit=2) == [later_too, later]
    assert store.list_suspended(limit=1) == [later_too]


def test_list_suspended_when_there_is_none(store: Store) -> None:
    assert store.list_suspended() == []


def test_add_suspended_replaces_by_id(store: Store) -> None:
    store.atomically(lambda uow: uow.add_suspended(_suspended("s-1", reason="auto_reply")))
    store.atomically(lambda uow: uow.add_suspended(_suspended("s-2", T0 - timedelta(minutes=5))))
    replacement = _suspended("s-1", T0 + timedelta(minutes=1), reason="burst", subject="again")

    store.atomically(lambda uow: uow.add_suspended(replacement))

    got = store.list_suspended()
    assert [r.id for r in got] == ["s-1", "s-2"]
    assert got[0] == replacement


def test_a_suspended_mail_with_its_ledger_entry_costs_two_writes(store: Store) -> None:
    _suspend(store, _suspended("warm-up"))
    before = store.write_count

    _suspend(store, _suspended("s-1"))

    assert store.write_count - before == 2


def test_an_exception_rolls_back_the_suspended_record(store: Store) -> None:
    _suspend(store, _suspended("kept"))
    writes_before = store.write_count

    class Boom(Exception):
        pass

    def work(uow: UnitOfWork) -> None:
        uow.add_ledger(LedgerEntry(connection=HELP, gmail_message_id="g-lost", outcome=Outcome.SUSPENDED,
                                   created_at=T0, sender=ANN))
        uow.add_suspended(_suspended("lost"))
        uow.add_suspended(_suspended("kept", reason="overwritten"))  # a replacement is rolled back too
        raise Boom("after the writes")

    with pytest.raises(Boom):
        store.atomically(work)

    assert store.list_suspended() == [_suspended("kept")]
    assert store.ledger_contains(HELP, ["g-lost"]) == set()
    assert store.recent_mail_count(ANN, T0) == 1  # only the kept one's ledger entry
    assert store.write_count == writes_before


def test_a_redelivered_suspended_mail_is_already_recorded_and_stored_once(store: Store) -> None:
    first = _suspended("s-1", gmail_message_id="g-1")
    _suspend(store, first)
    writes_before = store.write_count

    with pytest.raises(AlreadyRecorded):
        _suspend(store, _suspended("s-1-again", gmail_message_id="g-1", reason="burst"))

    assert store.list_suspended() == [first]
    assert store.write_count == writes_before


# --------------------------------------------------------------------------- recent_mail_count


def test_recent_mail_count_window_is_inclusive_at_since(store: Store) -> None:
    _add_ledger(store, *(
        LedgerEntry(connection=HELP, gmail_message_id=f"m-{n}", outcome=Outcome.TICKET, created_at=at, sender=ANN)
        for n, at in enumerate([T0 - timedelta(hours=1), T0 - US, T0, T0 + US, T0 + timedelta(minutes=5)])
    ))

    assert store.recent_mail_count(ANN, T0) == 3  # T0 itself counts; a microsecond before does not
    assert store.recent_mail_count(ANN, T0 + US) == 2
    assert store.recent_mail_count(ANN, T0 - US) == 4
    assert store.recent_mail_count(ANN, T0 - timedelta(days=1)) == 5
    assert store.recent_mail_count(ANN, T0 + timedelta(minutes=5)) == 1
    assert store.recent_mail_count(ANN, T0 + timedelta(minutes=6)) == 0
    assert store.recent_mail_count(ANN, T0.astimezone(CEST)) == 3  # the same instant in another zone


def test_recent_mail_count_counts_every_connection_and_outcome(store: Store) -> None:
    _add_ledger(
        store,
        LedgerEntry(connection=HELP, gmail_message_id="m-1", outcome=Outcome.TICKET, created_at=T0, sender=ANN),
        LedgerEntry(connection=HELP, gmail_message_id="m-2", outcome=Outcome.COMMENT, created_at=T0, sender=ANN),
        LedgerEntry(connection=SALES, gmail_message_id="m-1", outcome=Outcome.SUSPENDED, created_at=T0,
                    sender=ANN),
        LedgerEntry(connection=SALES, gmail_message_id="m-3", outcome=Outcome.IGNORED, created_at=T0, sender=ANN),
        LedgerEntry(connection=SALES, gmail_message_id="m-4", outcome=Outcome.QUARANTINED, created_at=T0,
                    sender=ANN),
    )
    _suspend(store, _suspended("s-1", T0 + timedelta(seconds=1), connection=SALES))

    assert store.recent_mail_count(ANN, T0) == 6


def test_recent_mail_count_ignores_case(store: Store) -> None:
    _add_ledger(
        store,
        LedgerEntry(connection=HELP, gmail_message_id="m-1", outcome=Outcome.TICKET, created_at=T0,
                    sender="Ann@Customer.Test"),
        LedgerEntry(connection=HELP, gmail_message_id="m-2", outcome=Outcome.TICKET, created_at=T0,
                    sender="ANN@CUSTOMER.TEST"),
        LedgerEntry(connection=HELP, gmail_message_id="m-3", outcome=Outcome.TICKET, created_at=T0, sender=ANN),
    )

    assert store.recent_mail_count(ANN, T0) == 3
    assert store.recent_mail_count("aNN@customer.TEST", T0) == 3


def test_recent_mail_count_counts_only_that_sender(store: Store) -> None:
    _add_ledger(
        store,
        LedgerEntry(connection=HELP, gmail_message_id="m-1", outcome=Outcome.TICKET, created_at=T0, sender=ANN),
        LedgerEntry(connection=HELP, gmail_message_id="m-2", outcome=Outcome.TICKET, created_at=T0,
                    sender="bob@customer.test"),
        # addresses that start or end like Ann's are someone else
        LedgerEntry(connection=HELP, gmail_message_id="m-3", outcome=Outcome.TICKET, created_at=T0,
                    sender=ANN + ".evil"),
        LedgerEntry(connection=HELP, gmail_message_id="m-4", outcome=Outcome.TICKET, created_at=T0,
                    sender="jo" + ANN),
        LedgerEntry(connection=HELP, gmail_message_id="m-5", outcome=Outcome.TICKET, created_at=T0,
                    sender="ann"),
        LedgerEntry(connection=HELP, gmail_message_id="m-6", outcome=Outcome.QUARANTINED, created_at=T0),
        LedgerEntry(connection=HELP, gmail_message_id="m-7", outcome=Outcome.TICKET, sender=ANN),  # no time
    )

    assert store.recent_mail_count(ANN, T0) == 1
    assert store.recent_mail_count("bob@customer.test", T0) == 1
    assert store.recent_mail_count("ann", T0) == 1
    assert store.recent_mail_count("nobody@customer.test", T0) == 0
    assert store.recent_mail_count(ANN, datetime(1970, 1, 1, tzinfo=UTC)) == 1  # the untimed one never counts


def test_recent_mail_count_on_an_empty_store_is_zero(store: Store) -> None:
    assert store.recent_mail_count(ANN, T0) == 0
