"""Contract: what the ledger keeps to tell the same mail through another inbox from a different mail reusing its
Message-ID (domain/same_mail.py), and the record of a copy set aside, which names what it copies."""

from __future__ import annotations

from datetime import UTC, datetime

from gmail_tickets.domain.model import LedgerEntry, Outcome, SuspendedMail
from gmail_tickets.ports import Store, UnitOfWork

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
HELP = "help@acme.test"
SALES = "sales@acme.test"
REUSED = "reused@mailer.example"


def _entry(connection: str, gmail_id: str, ticket_id: int | None, *, sender: str = "ann@customer.test",
           content_hash: str | None = None, outcome: Outcome = Outcome.TICKET) -> LedgerEntry:
    return LedgerEntry(connection=connection, gmail_message_id=gmail_id, outcome=outcome, ticket_id=ticket_id,
                       comment_id=f"c-{gmail_id}" if ticket_id else None, rfc_message_id=REUSED, created_at=T0,
                       sender=sender, content_hash=content_hash)


def _add(store: Store, *entries: LedgerEntry) -> None:
    def work(uow: UnitOfWork) -> None:
        for entry in entries:
            uow.add_ledger(entry)

    store.atomically(work)


def _with_message_id(store: Store, message_id: str = REUSED) -> list[LedgerEntry]:
    return store.atomically(lambda uow: uow.recorded_with_message_id(message_id))


def test_entries_of_one_message_id_come_back_oldest_first_with_their_hashes(store: Store) -> None:
    first = _entry(HELP, "g-1", 1, content_hash="a" * 64)
    second = _entry(SALES, "g-2", 2, sender="eve@other.test", content_hash="b" * 64)
    _add(store, first)
    _add(store, second)
    assert _with_message_id(store) == [first, second]


def test_only_entries_that_went_to_a_ticket_count(store: Store) -> None:
    suspended = _entry(HELP, "g-1", None, outcome=Outcome.SUSPENDED, content_hash="a" * 64)
    ticketed = _entry(SALES, "g-2", 7, content_hash="a" * 64)
    _add(store, suspended, ticketed)
    assert _with_message_id(store) == [ticketed]
    assert _with_message_id(store, "never@seen.example") == []


def test_an_entry_without_a_hash_reads_back_without_one(store: Store) -> None:
    legacy = _entry(HELP, "g-1", 3)
    _add(store, legacy)
    got = _with_message_id(store)
    assert got == [legacy] and got[0].content_hash is None


def test_a_copy_set_aside_keeps_the_ticket_and_comment_it_copies(store: Store) -> None:
    copy = SuspendedMail(id="s-1", connection=SALES, gmail_message_id="g-2", sender="ann@customer.test",
                         subject="Printer", reason="a copy of a mail already recorded",
                         created_at=T0, duplicate_of_ticket=4, duplicate_of_comment="c-g-1")
    plain = SuspendedMail(id="s-2", connection=HELP, gmail_message_id="g-3", sender="ooo@customer.test",
                          subject="Out of office", reason="auto_reply", created_at=T0)

    def work(uow: UnitOfWork) -> None:
        uow.add_suspended(copy)
        uow.add_suspended(plain)

    store.atomically(work)
    got = {s.id: s for s in store.list_suspended()}
    assert got["s-1"] == copy and (got["s-1"].duplicate_of_ticket, got["s-1"].duplicate_of_comment) == (4, "c-g-1")
    assert got["s-2"].duplicate_of_ticket is None and got["s-2"].duplicate_of_comment is None
