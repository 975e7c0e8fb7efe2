"""A process killed inside a Firestore transaction must stall only the documents it read, not every mailbox.

A dead client's transaction keeps its locks until it idles out (~60 s on the emulator; real Firestore's
pessimistic mode also holds a dead client's locks until then). The ingest transaction looks a thread up by query
and the acknowledgement rules count by query; a transactional query locks the whole collection on the emulator,
so one killed ingest stalled the ledger (every mailbox's new mail) for a minute. The store now runs those queries
outside the transaction and reads what they found inside it: another mailbox's mail goes in at once.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from gmail_tickets.adapters.firestore_store import FirestoreStore
from gmail_tickets.adapters.firestore_store.store import FirestoreUnitOfWork
from gmail_tickets.domain.model import Comment, LedgerEntry, Outcome, Ticket
from gmail_tickets.ports import UnitOfWork

pytestmark = pytest.mark.firestore

T0 = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
ALPHA, BRAVO = "support@alpha.test", "help@bravo.test"
PROMPT_S = 15.0  # far under the ~60 s a dead transaction's collection lock held everyone


def _record(store: FirestoreStore, mailbox: str, message: str, thread: str) -> int:
    def work(uow: UnitOfWork) -> int:
        assert uow.ticket_for_thread(mailbox, thread) is None
        assert uow.ticket_for_message_ids([f"<{message}@x.test>"]) is None
        uow.automatic_mail_count(since=T0 - timedelta(days=1), account=mailbox)
        ticket_id = uow.add_ticket(Ticket(f"{message} subject", "customer@x.test", mailbox, created_at=T0))
        comment_id = uow.add_comment(Comment(ticket_id=ticket_id, author="customer@x.test", body_text=message,
                                             created_at=T0, connection=mailbox, gmail_message_id=message))
        uow.add_ledger(LedgerEntry(connection=mailbox, gmail_message_id=message, outcome=Outcome.TICKET,
                                   ticket_id=ticket_id, comment_id=comment_id), thread_id=thread)
        return ticket_id

    return store.atomically(work)


def test_a_dead_ingest_transaction_does_not_hold_another_mailboxs_mail(firestore_store: FirestoreStore) -> None:
    store = firestore_store
    first = _record(store, ALPHA, "a-1", "thread-a")
    # What a killed ingest leaves behind: a transaction that looked its thread up, counted, and never ended.
    dead = store.client.transaction()
    dead._begin()
    try:
        uow = FirestoreUnitOfWork(store, dead)
        assert uow.ticket_for_thread(ALPHA, "thread-a") == first
        assert uow.ticket_for_message_ids(["<a-1@x.test>", "<none@x.test>"]) is None
        uow.automatic_mail_count(since=T0 - timedelta(days=1), account=ALPHA)

        done: list[float] = []
        started = time.monotonic()
        worker = threading.Thread(target=lambda: (_record(store, BRAVO, "b-1", "thread-b"),
                                                  done.append(time.monotonic() - started)), daemon=True)
        worker.start()
        worker.join(PROMPT_S)
        assert done, f"another mailbox's mail waited over {PROMPT_S:.0f} s on a dead transaction's locks"
    finally:
        dead._rollback()
    worker.join(90)
    assert store.atomically(lambda uow: uow.ticket_for_thread(BRAVO, "thread-b")) is not None
