"""Firestore only: tickets and comments written before full-text search carry no terms; the sweep's
`upgrade_in_place` gives them theirs (after the lifecycle's upgrade), and search finds them from then on."""

from __future__ import annotations

import pytest

from gmail_tickets.adapters.firestore_store import FirestoreStore
from gmail_tickets.domain.search_query import parse
from gmail_tickets.domain.ticket_query import TicketFilter

pytestmark = pytest.mark.firestore
HELP = "help@acme.test"
AT = "2024-05-01T08:00:00.000000+00:00"


def _old_ticket(store: FirestoreStore, ticket_id: int, subject: str, body: str) -> None:
    ref = store.client.collection(store.prefix + "tickets").document(str(ticket_id))
    ref.set({"subject": subject, "requester": "zoe@beispiel.de", "connection": HELP, "requester_name": "Zoë",
             "status": "new", "created_at": AT, "id": ticket_id, "version": 0})
    ref.collection("comments").document(f"c{ticket_id}").set(
        {"id": f"c{ticket_id}", "ticket_id": ticket_id, "author": "x", "body_text": body, "created_at": AT,
         "connection": HELP, "seq": 1})


def _found(store: FirestoreStore, text: str) -> list[int]:
    return [t.id for t in store.search_tickets(parse(text), filter=TicketFilter(), limit=10).tickets
            if t.id is not None]


def test_old_tickets_and_comments_are_found_once_upgraded(firestore_store: FirestoreStore) -> None:
    store = firestore_store
    _old_ticket(store, 1, "Crème brûlée", "the refund policy")
    _old_ticket(store, 2, "配送について", "東京都の天気")
    assert _found(store, "creme") == []

    looked = [store.upgrade_in_place(batch=1) for _ in range(6)]

    assert looked[-1] == 0 and sum(looked) >= 2
    assert _found(store, "creme") == [1]
    assert _found(store, '"refund policy"') == [1]
    assert _found(store, "東京") == [2]
    assert _found(store, "zoe") == [2, 1]
