"""A process killed inside a mail's recording transaction leaves that mail's documents locked on Firestore until
the transaction idles out (~60 s). The mailbox must not stall behind it: the next sync holds back that one mail
and the rest of its thread, records every other mail, keeps its cursor before the held mail, and has the event
come back (MailHeldBack, never acked first). Once the lock is gone, everything is recorded exactly once, the reply
on its ticket.

The fault is real: a transaction left open on the Firestore emulator holding the mail's ledger document, as a
SIGKILLed function instance leaves it (tests/integration/test_firestore_lease_cas.py shows the lock)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gmail_tickets.adapters.firestore_store import FirestoreStore, keys
from gmail_tickets.domain.ingest_context import IngestMode
from gmail_tickets.errors import MailHeldBack
from gmail_tickets.services import connect_import
from gmail_tickets.services.connect_import import import_job
from gmail_tickets.services.held_mail import HeldMail
from gmail_tickets.services.ingest import ingest_event
from tests.integration.ingest_harness import IngestHarness, customer_mail

pytestmark = pytest.mark.firestore

SUPPORT = "support@example.com"


@pytest.fixture
def harness(sim, sim_server, firestore_store: FirestoreStore, tmp_path: Path) -> Iterator[IngestHarness]:
    yield IngestHarness(sim, sim_server, firestore_store, tmp_path)


def _lock_ledger_entry(store: FirestoreStore, gmail_id: str):
    """A transaction that read the mail's ledger document, then its process died: the lock stays."""
    dead = store.client.transaction()
    dead._begin()
    ref = store.client.collection("ledger").document(keys.ledger_id(SUPPORT, gmail_id))
    list(dead.get(ref))
    return dead


def _three_mails(harness: IngestHarness) -> tuple[str, str, str]:
    """A (a request), B (another request), C (the customer's reply to A, in A's Gmail thread)."""
    first = customer_mail("Printer on fire", to=SUPPORT)
    a = harness.deliver(first)
    b = harness.deliver(customer_mail("Invoice question", to=SUPPORT))
    c = harness.deliver(customer_mail(reply_to=first, to=SUPPORT))
    assert harness.sim.message(SUPPORT, c)["threadId"] == harness.sim.message(SUPPORT, a)["threadId"]
    return a, b, c


def test_a_mail_behind_a_dead_transactions_lock_holds_back_only_its_thread(harness: IngestHarness) -> None:
    a, b, c = _three_mails(harness)
    cursor = harness.store.get_connection(SUPPORT).history_id
    dead = _lock_ledger_entry(harness.store, a)
    try:
        with pytest.raises(MailHeldBack) as held:
            ingest_event(harness.deps, harness.notification())
        assert held.value.retry_after is not None and held.value.retry_after <= 10
        assert harness.store.ledger_contains(SUPPORT, [a, b, c]) == {b}  # B recorded; A and its reply C wait
        assert harness.store.get_connection(SUPPORT).history_id == cursor  # not past the held mail
        started = time.monotonic()  # the same instance, moments later: holds it again without waiting out the lock
        with pytest.raises(MailHeldBack):
            ingest_event(harness.deps, harness.notification())
        assert time.monotonic() - started < 1.5
    finally:
        dead._rollback()
    assert ingest_event(harness.new_instance(), harness.notification()).status == "synced"
    assert harness.assert_exactly_once(SUPPORT, [a, b, c]) == {"ticket": 2, "comment": 1}
    reply = next(t for t in harness.store.list_tickets(connection=SUPPORT) if t.subject == "Printer on fire")
    assert c in {comment.gmail_message_id for comment in harness.store.comments(reply.id)}
    assert harness.store.get_connection(SUPPORT).history_id > cursor


def test_the_connect_import_tries_held_mail_again_and_loses_none(harness: IngestHarness,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, c = _three_mails(harness)
    dead = _lock_ledger_entry(harness.store, a)
    waits: list[float] = []
    now = [0.0]
    harness.deps.held_mail = HeldMail(clock=lambda: now[0])

    def sleep(seconds: float) -> None:  # the lock's holder "idles out" during the import's first wait
        waits.append(seconds)
        now[0] += seconds
        dead._rollback()

    monkeypatch.setattr(connect_import, "sleep", sleep)
    import_job(harness.deps, SUPPORT, [a, b, c], IngestMode.IMPORT)()
    assert len(waits) == 1
    assert harness.assert_exactly_once(SUPPORT, [a, b, c]) == {"ticket": 2, "comment": 1}
