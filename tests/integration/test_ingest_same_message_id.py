"""A Message-ID names a mail only as far as its sender's software is honest: through the whole sync path
(simulator over HTTP → adapter → services → store), on SQLite and on the Firestore emulator, two DIFFERENT mails
with one Message-ID both become visible, and only the SAME mail through a second inbox is set aside — visibly, with
the ticket it copies."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from gmail_tickets.domain.model import LedgerEntry, Outcome
from gmail_tickets.ports import Store
from gmail_tickets.services.sync_mailbox import sync_mailbox
from tests.integration.ingest_harness import IngestHarness

SUPPORT = "support@example.com"
SALES = "sales@example.com"
REUSED = "<same-id@broken-mailer.example>"


@pytest.fixture
def harness(sim, sim_server, store, tmp_path: Path) -> Iterator[IngestHarness]:
    yield IngestHarness(sim, sim_server, store, tmp_path, mailboxes=(SUPPORT, SALES))


def mail(sender: str, subject: str, body: str, *, to: str = SUPPORT) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Tue, 01 Dec 2026 10:00:00 +0000"
    msg["Message-ID"] = REUSED
    msg.set_content(body)
    return msg.as_bytes()


def ledger(store: Store, connection: str, gmail_id: str) -> LedgerEntry:
    entry = store.atomically(lambda uow: uow.get_ledger(connection, gmail_id))
    assert entry is not None, "mail lost"
    return entry


def bodies(store: Store) -> dict[str, int]:
    """Each stored comment's text → its ticket."""
    return {c.body_text.strip(): t.id or 0 for t in store.list_tickets(limit=100) for c in store.comments(t.id or 0)}


def test_two_different_mails_with_one_message_id_are_both_tickets(harness: IngestHarness) -> None:
    first = harness.deliver(mail("Ann <ann@customer.example>", "Printer", "The printer smokes."))
    assert sync_mailbox(harness.deps, SUPPORT).status == "synced"
    second = harness.deliver(mail("Bob <bob@other.example>", "Invoice", "My invoice is wrong."))
    assert sync_mailbox(harness.deps, SUPPORT).status == "synced"

    a, b = ledger(harness.store, SUPPORT, first), ledger(harness.store, SUPPORT, second)
    assert (a.outcome, b.outcome) == (Outcome.TICKET, Outcome.TICKET)
    assert a.ticket_id != b.ticket_id  # Bob's mail did not join Ann's ticket through the shared Message-ID
    seen = bodies(harness.store)
    assert seen["The printer smokes."] == a.ticket_id and seen["My invoice is wrong."] == b.ticket_id
    assert harness.store.list_suspended() == []


def test_the_same_sender_writing_again_under_a_reused_message_id_is_not_dropped(harness: IngestHarness) -> None:
    first = harness.deliver(mail("Ann <ann@customer.example>", "Printer", "The printer smokes."))
    second = harness.deliver(mail("Ann <ann@customer.example>", "Scanner", "Now the scanner too."))
    assert sync_mailbox(harness.deps, SUPPORT).status == "synced"
    outcomes = {ledger(harness.store, SUPPORT, g).outcome for g in (first, second)}
    assert Outcome.IGNORED not in outcomes
    assert {"The printer smokes.", "Now the scanner too."} <= set(bodies(harness.store))


def test_the_same_mail_through_a_second_inbox_is_set_aside_with_the_ticket_it_copies(
        harness: IngestHarness) -> None:
    raw = mail("Ann <ann@customer.example>", "Printer", "The printer smokes.", to=f"{SUPPORT}, {SALES}")
    original = harness.deliver(raw, SUPPORT)
    copy = harness.deliver(raw, SALES)
    assert sync_mailbox(harness.deps, SUPPORT).status == "synced"
    assert sync_mailbox(harness.deps, SALES).status == "synced"

    kept = ledger(harness.store, SUPPORT, original)
    copied = ledger(harness.store, SALES, copy)
    assert kept.outcome == Outcome.TICKET and copied.outcome == Outcome.IGNORED
    assert copied.ticket_id == kept.ticket_id and copied.content_hash == kept.content_hash
    assert len(harness.store.list_tickets(limit=100)) == 1
    [record] = harness.store.list_suspended()
    assert (record.connection, record.gmail_message_id) == (SALES, copy)
    assert (record.duplicate_of_ticket, record.duplicate_of_comment) == (kept.ticket_id, kept.comment_id)
