"""Contract: a comment keeps who wrote it: the customer (by mail, the default) or an agent (in the console).

The ticket page shows agent replies apart from customer mail, and outbound mail will send only agent replies,
so a store that loses `author_kind` would either hide a reply's origin or mail a customer their own words.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gmail_tickets.adapters import records
from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.ports import Store, UnitOfWork

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
HELP = "help@acme.test"


def test_author_kind_round_trips_agent_and_the_customer_default(store: Store) -> None:
    def work(uow: UnitOfWork) -> tuple[int, Comment, Comment]:
        ticket_id = uow.add_ticket(Ticket("Printer on fire", "ann@customer.test", HELP, created_at=T0))
        mail = Comment(ticket_id=ticket_id, author="ann@customer.test", body_text="It smokes.", created_at=T0,
                       connection=HELP, gmail_message_id="g-1", message_id="m1@x")
        reply = Comment(ticket_id=ticket_id, author="agent@acme.test", body_text="Unplug it.",
                        created_at=T0 + timedelta(minutes=5), connection=HELP, author_kind="agent")
        uow.add_comment(mail)
        uow.add_comment(reply)
        return ticket_id, mail, reply

    ticket_id, mail, reply = store.atomically(work)

    got = store.comments(ticket_id)
    assert got == [mail, reply]
    assert [c.author_kind for c in got] == ["customer", "agent"]
    assert got[1].gmail_message_id is None and got[1].message_id is None


def test_firestore_comment_documents_written_before_agent_replies_read_as_customer_mail() -> None:
    """Firestore has no migration: older comment documents simply lack the field."""
    doc = records.to_doc(
        Comment(ticket_id=7, author="ann@customer.test", body_text="It smokes.", created_at=T0, connection=HELP,
                id="c-1"))
    del doc["author_kind"]

    assert records.from_doc(Comment, doc).author_kind == "customer"
