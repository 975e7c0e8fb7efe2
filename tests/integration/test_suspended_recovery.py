"""Recovering suspended mail (services/suspended_mail.py) on the real stores (`store`: SQLite and the Firestore
emulator): a suspended mail becomes the ticket it would have been, or the comment on the ticket it answers when
its sender is on that ticket, never anyone else's; exactly once, concurrent recoveries included; the record then
leaves the list and links to the ticket. Delete drops a listed record; a copy set aside is no recovery."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from gmail_tickets.domain.model import Outcome
from gmail_tickets.domain.paging import PageRequest
from gmail_tickets.domain.ticket_query import TicketFilter
from gmail_tickets.ports import Store
from gmail_tickets.services import suspended_mail
from gmail_tickets.services.deps import Deps
from tests.integration.api_stack import make_deps
from tests.integration.suspended_harness import arrive, connect, mail

HELP, SALES = "help@acme.test", "sales@acme.test"
ANN, BOB = "ann@customer.test", "bob@other.test"


@pytest.fixture
def deps(store: Store, tmp_path: Path) -> Deps:
    made = make_deps(store, tmp_path)
    connect(made, HELP)
    return made


def _suspended_ids(deps: Deps) -> list[str]:
    return [s.id for s in deps.store.suspended_page(PageRequest(50)).items]


def test_a_recovered_auto_reply_becomes_one_ticket_and_leaves_the_list(deps: Deps) -> None:
    recorded, entry = arrive(deps, HELP, mail(f"Ann <{ANN}>", "Out of office? No: printer", "It smokes.",
                                              message_id="a1@customer.test", auto=True))
    assert recorded.outcome is Outcome.SUSPENDED
    [record_id] = _suspended_ids(deps)
    recovery = suspended_mail.recover(deps, record_id, actor="ana@acme.test")
    ticket = deps.store.get_ticket(recovery.ticket_id)
    assert recovery.new_ticket and ticket is not None and ticket.requester == ANN
    [description] = deps.store.comments(recovery.ticket_id)
    assert description.body_text.strip() == "It smokes." and description.id == recovery.comment_id
    assert _suspended_ids(deps) == [] and deps.store.count_suspended() == 0
    kept = deps.store.get_suspended(record_id)
    assert kept is not None and (kept.recovered_ticket, kept.recovered_by) == (recovery.ticket_id, "ana@acme.test")
    ledger = deps.store.atomically(lambda uow: uow.get_ledger(HELP, entry.gmail_message_id))
    assert (ledger.outcome, ledger.ticket_id, ledger.created_at) == (Outcome.TICKET, recovery.ticket_id,
                                                                     entry.created_at)
    assert [n.to for n in deps.store.list_notifications(ticket_id=recovery.ticket_id)] == [(ANN,)]  # the ack
    with pytest.raises(suspended_mail.AlreadyRecovered) as again:
        suspended_mail.recover(deps, record_id, actor="amy@acme.test")
    assert again.value.record.recovered_ticket == recovery.ticket_id
    assert deps.store.count_tickets(TicketFilter()) == 1
    assert [a.action for a in deps.store.list_audit(limit=10)] == ["suspended.recover"]


def test_concurrent_recoveries_make_one_ticket(deps: Deps) -> None:
    arrive(deps, HELP, mail(f"Ann <{ANN}>", "Refund", "Order 42.", message_id="c1@customer.test", auto=True))
    [record_id] = _suspended_ids(deps)
    outcomes: list[object] = []

    def attempt() -> None:
        try:
            outcomes.append(suspended_mail.recover(deps, record_id, actor="ana@acme.test").ticket_id)
        except suspended_mail.AlreadyRecovered as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made = [o for o in outcomes if isinstance(o, int)]
    assert len(outcomes) == 4 and len(made) == 1, outcomes
    assert deps.store.count_tickets(TicketFilter()) == 1 and len(deps.store.comments(made[0])) == 1


def test_a_recovered_reply_joins_its_senders_ticket_and_nobody_elses(deps: Deps) -> None:
    first, _ = arrive(deps, HELP, mail(f"Ann <{ANN}>", "Printer", "It smokes.", message_id="t1@customer.test"),
                      thread="thread-ann")
    assert first.outcome is Outcome.TICKET
    arrive(deps, HELP, mail(f"Ann <{ANN}>", "Re: Printer", "Still smoking.", message_id="t2@customer.test",
                            auto=True, in_reply_to="t1@customer.test"), thread="thread-ann")
    arrive(deps, HELP, mail(f"Bob <{BOB}>", "Re: Printer", "Mine too, add me.", message_id="t3@other.test",
                            auto=True, in_reply_to="t1@customer.test"), thread="thread-ann")
    by_sender = {s.sender: s.id for s in deps.store.suspended_page(PageRequest(50)).items}
    anns = suspended_mail.recover(deps, by_sender[ANN], actor="ana@acme.test")
    assert (anns.ticket_id, anns.new_ticket) == (first.ticket_id, False)
    assert [c.body_text.strip() for c in deps.store.comments(first.ticket_id)] == ["It smokes.", "Still smoking."]
    bobs = suspended_mail.recover(deps, by_sender[BOB], actor="ana@acme.test")
    assert bobs.new_ticket and bobs.ticket_id != first.ticket_id
    bob_ticket = deps.store.get_ticket(bobs.ticket_id)
    assert bob_ticket is not None and bob_ticket.requester == BOB and bob_ticket.mentions == first.ticket_id
    assert len(deps.store.comments(first.ticket_id)) == 2


def test_delete_and_what_cannot_be_recovered(deps: Deps) -> None:
    arrive(deps, HELP, mail(f"Ann <{ANN}>", "Newsletter", "Bulk.", message_id="d1@customer.test", auto=True))
    [record_id] = _suspended_ids(deps)
    suspended_mail.delete(deps, record_id, actor="ana@acme.test")
    assert _suspended_ids(deps) == [] and deps.store.get_suspended(record_id) is None
    for act in (suspended_mail.recover, suspended_mail.delete):
        with pytest.raises(suspended_mail.SuspendedNotFound):
            act(deps, record_id, actor="ana@acme.test")
    # a copy of mail already on a ticket (the same mail through a second inbox) is no recovery
    connect(deps, SALES)
    both = mail(f"Ann <{ANN}>", "Printer", "It smokes.", message_id="x1@customer.test", to=f"{HELP}, {SALES}")
    original, _ = arrive(deps, HELP, both)
    arrive(deps, SALES, both)
    [copy] = deps.store.suspended_page(PageRequest(50)).items
    assert copy.duplicate_of_ticket == original.ticket_id
    with pytest.raises(suspended_mail.RecoveryRefused, match=f"already on ticket #{original.ticket_id}"):
        suspended_mail.recover(deps, copy.id, actor="ana@acme.test")
