"""Firestore only: tickets written before the lifecycle are upgraded in place by the sweep's `upgrade_in_place`,
a batch at a time — open when an agent replied, else new; received when their first mail came — and a ticket
changed since (which carries every field) is left as it is. Then the upgrade is done and costs one read."""

from __future__ import annotations

import pytest

from gmail_tickets.adapters.firestore_store import FirestoreStore
from gmail_tickets.domain.paging import PageRequest
from gmail_tickets.domain.ticket_activity import updated
from gmail_tickets.domain.ticket_fields import Priority, TicketStatus
from gmail_tickets.domain.ticket_lifecycle import FieldChanges, agent_update
from gmail_tickets.domain.ticket_query import TicketFilter, TicketSort
from gmail_tickets.ports import UnitOfWork
from tests.contract.conftest import T0

pytestmark = pytest.mark.firestore
HELP = "help@acme.test"


def _old_ticket(store: FirestoreStore, ticket_id: int, *comments: tuple[str, str]) -> None:
    """A ticket document as the release before wrote it (no version, priority, tags, timeline…)."""
    ref = store.client.collection(store.prefix + "tickets").document(str(ticket_id))
    ref.set({"subject": f"s{ticket_id}", "requester": "ann@customer.test", "connection": HELP,
             "brand_id": "default", "requester_name": "", "followers": [], "status": "new",
             "created_at": "2024-05-17T09:30:15.123456+00:00", "suppress_triggers": False, "id": ticket_id,
             "connection_pos": f"x{ticket_id:015d}"})
    for seq, (kind, at) in enumerate(comments, start=1):
        ref.collection("comments").document(f"c{ticket_id}-{seq}").set(
            {"id": f"c{ticket_id}-{seq}", "ticket_id": ticket_id, "author": "x", "body_text": "b", "created_at": at,
             "connection": HELP, "author_kind": kind, "attachments": [], "seq": seq})


def test_old_tickets_are_upgraded_in_batches_then_the_upgrade_is_done(firestore_store: FirestoreStore) -> None:
    store = firestore_store
    _old_ticket(store, 1, ("customer", "2024-05-01T08:00:00.000000+00:00"),
                ("agent", "2024-05-02T08:00:00.000000+00:00"))
    _old_ticket(store, 2, ("customer", "2024-05-03T08:00:00.000000+00:00"))
    _old_ticket(store, 3)

    # The lifecycle's pass, then search's (search_upgrade.py) over the same tickets, then nothing.
    assert [store.upgrade_in_place(batch=2) for _ in range(5)] == [2, 1, 2, 1, 0]
    replied, waiting, empty = (store.get_ticket(i) for i in (1, 2, 3))
    assert replied is not None and waiting is not None and empty is not None
    assert (replied.status, waiting.status, empty.status) == (TicketStatus.OPEN, TicketStatus.NEW, TicketStatus.NEW)
    assert replied.received_at is not None and replied.received_at.isoformat().startswith("2024-05-01T08:00")
    assert empty.received_at is None and (replied.version, replied.priority) == (0, Priority.NORMAL)


def test_a_ticket_changed_by_this_release_is_left_as_it_is(firestore_store: FirestoreStore) -> None:
    store = firestore_store
    _old_ticket(store, 4, ("agent", "2024-05-02T08:00:00.000000+00:00"))

    def change(uow: UnitOfWork) -> None:
        ticket = uow.get_ticket(4)
        assert ticket is not None
        agent_update(ticket, FieldChanges(status=TicketStatus.PENDING), actor="ana@acme.test", now=T0)
        uow.put_ticket(ticket)

    store.atomically(change)
    store.upgrade_in_place()
    ticket = store.get_ticket(4)
    assert ticket is not None and (ticket.status, ticket.version) == (TicketStatus.PENDING, 1)


def test_old_tickets_join_the_views_once_upgraded_with_their_last_writer(firestore_store: FirestoreStore) -> None:
    """Before the upgrade an old ticket lacks the views' sort field, so no view lists it; reading it still works
    (updated falls back to created_at). After it, it sorts by its latest comment and says who wrote it — also a
    ticket the lifecycle release wrote (it has `version`, not `updated_pos`)."""
    store = firestore_store
    _old_ticket(store, 5, ("customer", "2024-06-01T08:00:00.000000+00:00"),
                ("agent", "2024-06-09T08:00:00.000000+00:00"))
    _old_ticket(store, 6, ("customer", "2024-06-05T08:00:00.000000+00:00"))
    store.client.collection(store.prefix + "tickets").document("6").update({"version": 2, "status": "pending"})
    old = store.get_ticket(5)
    assert old is not None and updated(old) == old.created_at and old.last_author == ""
    assert store.ticket_page(TicketFilter(), TicketSort.UPDATED, PageRequest(10)).items == []

    while store.upgrade_in_place(batch=1):
        pass
    page = store.ticket_page(TicketFilter(), TicketSort.UPDATED, PageRequest(10))
    assert [t.id for t in page.items] == [5, 6]
    five, six = page.items
    assert (five.last_author_kind, six.last_author_kind, six.status) == ("agent", "customer", TicketStatus.PENDING)
    assert five.updated_at is not None and five.updated_at.isoformat().startswith("2024-06-09T08:00")
    assert store.count_tickets(TicketFilter(requester="ann@customer.test")) == 2
    assert [t.id for t in store.ticket_page(TicketFilter(requester="ann@customer.test"), TicketSort.PRIORITY,
                                            PageRequest(10)).items] == [5, 6]


def test_once_seen_done_the_upgrades_read_nothing_each_minute(firestore_store: FirestoreStore,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    store = firestore_store
    _old_ticket(store, 7)
    while store.upgrade_in_place():
        pass

    def no_read(*_: object) -> None:
        raise AssertionError("a finished upgrade read its marker again")

    monkeypatch.setattr(store, "_get", no_read)
    monkeypatch.setattr(store, "_stream", no_read)
    assert store.upgrade_in_place() == 0  # the sweep's minute costs no read for upgrades done long ago
