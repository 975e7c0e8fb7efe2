"""Firestore only: ticket documents get scattered ids (a hash of the number first), the visible numbers stay
sequential, and a ticket stored before at its number alone is read, commented on and changed as before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gmail_tickets.adapters.firestore_store import FirestoreStore
from gmail_tickets.adapters.firestore_store.keys import ticket_doc_id, ticket_number
from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.ports import UnitOfWork

pytestmark = pytest.mark.firestore
HELP = "help@acme.test"
AT = "2024-05-01T08:00:00.000000+00:00"
LATER = datetime(2024, 5, 2, tzinfo=UTC)


def test_new_tickets_are_numbered_in_order_and_stored_apart(firestore_store: FirestoreStore) -> None:
    store = firestore_store
    ids = [store.atomically(lambda uow, n=n: uow.add_ticket(Ticket(f"s{n}", "r@x.test", HELP))) for n in range(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5
    docs = [s.id for s in store.client.collection(store.prefix + "tickets").stream()]
    assert sorted(docs) == sorted(ticket_doc_id(i) for i in ids)
    assert sorted(docs) != [ticket_doc_id(i) for i in ids]  # key order is not number order (for these five)
    assert {ticket_number(d) for d in docs} == set(ids)
    assert [t.id for t in store.list_tickets()] == sorted(ids, reverse=True)


def test_a_ticket_stored_at_its_number_still_works(firestore_store: FirestoreStore) -> None:
    store = firestore_store
    ref = store.client.collection(store.prefix + "tickets").document("7")
    ref.set({"subject": "Old", "requester": "zoe@x.test", "connection": HELP, "status": "new", "created_at": AT,
             "id": 7, "version": 0})
    ref.collection("comments").document("c7").set({"id": "c7", "ticket_id": 7, "author": "zoe", "body_text": "old",
                                                     "created_at": AT, "connection": HELP, "seq": 1})
    fresh = FirestoreStore(store.client, store.prefix)  # a process that never saw it
    ticket = fresh.get_ticket(7)
    assert ticket is not None and ticket.subject == "Old"
    other = FirestoreStore(store.client, store.prefix)
    other.atomically(lambda uow: uow.add_comment(Comment(ticket_id=7, author="Ana", body_text="new", created_at=LATER,
                                                         connection=HELP, author_kind="agent")))

    def reopen(uow: UnitOfWork) -> None:
        found = uow.get_ticket(7)
        assert found is not None
        found.status = TicketStatus.OPEN
        uow.put_ticket(found)

    FirestoreStore(store.client, store.prefix).atomically(reopen)
    assert [c.body_text for c in store.comments(7)] == ["old", "new"]
    again = FirestoreStore(store.client, store.prefix).get_ticket(7)
    assert again is not None and again.status == TicketStatus.OPEN
    assert not store.client.collection(store.prefix + "tickets").document(ticket_doc_id(7)).get().exists
