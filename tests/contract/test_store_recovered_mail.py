"""Contract: what recovering or deleting a suspended mail needs of the store, on both stores. A recovered record
leaves the list and the count but is still found by id, with its links; a deleted one is gone; a mail's ledger
entry is rewritten in place (its new outcome, ticket and comment), its Gmail thread then leading to the ticket."""

from __future__ import annotations

import dataclasses

from gmail_tickets.domain.model import Outcome
from gmail_tickets.domain.paging import PageRequest
from gmail_tickets.ports import Store, UnitOfWork
from tests.contract.test_store_suspended import HELP, T0, _suspend, _suspended


def test_a_recovered_record_leaves_the_list_and_keeps_its_links(store: Store) -> None:
    kept, other = _suspended("s-1"), _suspended("s-2")
    _suspend(store, kept)
    _suspend(store, other)
    moved = dataclasses.replace(kept, recovered_ticket=7, recovered_comment="c-1", recovered_by="ana@acme.test",
                                recovered_at=T0)

    def recover(uow: UnitOfWork) -> None:
        assert uow.get_suspended("s-1") == kept
        uow.recover_suspended(moved)

    store.atomically(recover)
    assert [s.id for s in store.suspended_page(PageRequest(10)).items] == ["s-2"] and store.count_suspended() == 1
    assert store.list_suspended() == [other]
    assert store.get_suspended("s-1") == moved
    assert store.atomically(lambda uow: uow.get_suspended("s-1")) == moved

    store.atomically(lambda uow: uow.delete_suspended("s-2"))
    assert store.count_suspended() == 0 and store.get_suspended("s-2") is None
    assert store.atomically(lambda uow: uow.get_suspended("nothing")) is None


def test_a_ledger_entry_is_rewritten_in_place_and_indexes_its_thread(store: Store) -> None:
    _suspend(store, _suspended("s-3"))
    entry = store.atomically(lambda uow: uow.get_ledger(HELP, "g-s-3"))
    assert entry is not None and entry.outcome is Outcome.SUSPENDED
    assert store.atomically(lambda uow: uow.ticket_for_thread(HELP, "th-3")) is None
    rewritten = dataclasses.replace(entry, outcome=Outcome.TICKET, ticket_id=9, comment_id="c-9",
                                    rfc_message_id="m3@customer.test")

    def replace(uow: UnitOfWork) -> None:
        uow.get_ledger(HELP, "g-s-3")
        uow.replace_ledger(rewritten, thread_id="th-3")

    store.atomically(replace)
    assert store.atomically(lambda uow: uow.get_ledger(HELP, "g-s-3")) == rewritten
    assert store.atomically(lambda uow: uow.ticket_for_thread(HELP, "th-3")) == 9
    assert store.atomically(lambda uow: uow.ticket_for_message_ids(["m3@customer.test"])) == 9
    assert store.ledger_counts(HELP)[Outcome.TICKET] == 1 and store.ledger_counts(HELP)[Outcome.SUSPENDED] == 0
    assert store.recent_mail_count(entry.sender or "", T0) == 1  # the mail is counted once, at its own time
