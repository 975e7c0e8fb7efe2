"""Contract: racing workers (push and sweep, or two redeliveries) cannot both win.

Kept to two threads and one race per test: the Firestore emulator spends about two seconds per transaction
conflict, and one real collision is all these need to prove.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from gmail_tickets.domain.model import Comment, LedgerEntry, Outcome, Ticket
from gmail_tickets.errors import AlreadyRecorded
from gmail_tickets.ports import Store, UnitOfWork

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
HELP = "help@acme.test"


def test_two_workers_recording_the_same_mail_make_one_ticket(store: Store) -> None:
    start = threading.Barrier(2)

    def ingest(worker: str) -> str:
        def work(uow: UnitOfWork) -> int:
            ticket_id = uow.add_ticket(Ticket(f"from {worker}", "r@x.test", HELP, created_at=T0))
            comment_id = uow.add_comment(Comment(ticket_id=ticket_id, author="r@x.test", body_text=worker,
                                                 created_at=T0, connection=HELP, gmail_message_id="m-1"))
            uow.add_ledger(LedgerEntry(connection=HELP, gmail_message_id="m-1", outcome=Outcome.TICKET,
                                       ticket_id=ticket_id, comment_id=comment_id), thread_id="thread-1")
            return ticket_id

        start.wait(timeout=10)
        try:
            store.atomically(work)
        except AlreadyRecorded:
            return "already recorded"
        return "won"

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = sorted(pool.map(ingest, ["push", "sweep"]))

    assert results == ["already recorded", "won"]
    tickets = store.list_tickets()
    assert len(tickets) == 1
    ticket_id = tickets[0].id
    assert ticket_id is not None
    assert [c.body_text for c in store.comments(ticket_id)] == [tickets[0].subject.removeprefix("from ")]
    entry = store.atomically(lambda uow: uow.get_ledger(HELP, "m-1"))
    assert entry is not None and entry.ticket_id == ticket_id
    assert store.atomically(lambda uow: uow.ticket_for_thread(HELP, "thread-1")) == ticket_id


def test_two_workers_racing_for_a_lease_one_gets_it(store: Store) -> None:
    start = threading.Barrier(2)

    def take(worker: str) -> bool:
        start.wait(timeout=10)
        return store.try_lease("sync:help@acme.test", worker, T0, 60.0)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(["a", "b"], pool.map(take, ["a", "b"]), strict=True))

    assert sorted(results.values()) == [False, True]
    winner = next(w for w, won in results.items() if won)
    assert store.release_lease("sync:help@acme.test", winner) is True  # the loser's look-again mark
    assert store.release_lease("sync:help@acme.test", winner) is False
