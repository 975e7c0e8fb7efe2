"""reply_as_agent on the real stores (`store`: SQLite and the Firestore emulator): a reply is one agent comment on
the ticket and one outbox record in the same transaction, announced on the outbound-mail topic; refused replies
change nothing. An internal note is stored and never mailed; a reply submits the ticket as the agent chose; a form
rendered at an older version of the ticket writes nothing and says who changed what. Nothing here touches Gmail:
sending is the send function's job (tests/integration/test_send.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gmail_tickets.adapters.inline_jobs import InlineJobs
from gmail_tickets.adapters.local_blobs import FileBlobs
from gmail_tickets.adapters.local_secrets import FileSecrets
from gmail_tickets.domain.model import Brand, Comment, Ticket
from gmail_tickets.domain.outbox import NotificationState
from gmail_tickets.domain.ticket_fields import Priority, TicketStatus
from gmail_tickets.domain.ticket_lifecycle import FieldChanges
from gmail_tickets.domain.ticket_token import TicketTokens
from gmail_tickets.ports import Mailbox, Store
from gmail_tickets.services.agent_reply import MAX_REPLY_CHARS, ReplyRefused, TicketNotFound, reply_as_agent
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.ticket_changes import ChangeRefused, EditConflict, update_ticket

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
HELP = "help@acme.test"
ANN = "ann@customer.test"


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any]]] = []

    def publish(self, topic: str, data: dict[str, Any]) -> None:
        self.published.append((topic, data))

    def publish_many(self, topic: str, messages: Sequence[dict[str, Any]]) -> None:
        self.published.extend((topic, data) for data in messages)


def _no_mailbox(address: str) -> Mailbox:
    raise AssertionError(f"a reply must not touch Gmail ({address})")


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def deps(store: Store, publisher: RecordingPublisher, tmp_path: Path) -> Deps:
    return Deps(store=store, mailbox_for=_no_mailbox, publisher=publisher,
                secrets=FileSecrets(tmp_path / "secrets.json"), clock=FixedClock(T0 + timedelta(hours=1)),
                blobs=FileBlobs(tmp_path / "blobs"), tokens=TicketTokens(b"k" * 32), jobs=InlineJobs())


@pytest.fixture
def ticket_id(store: Store) -> int:
    def work(uow: Any) -> int:
        new_id = uow.add_ticket(Ticket("Printer on fire", ANN, HELP, created_at=T0))
        uow.add_comment(Comment(ticket_id=new_id, author=ANN, body_text="It smokes.", created_at=T0,
                                connection=HELP, gmail_message_id="g-1", message_id="m1@x"))
        return new_id

    return store.atomically(work)


def test_a_reply_is_added_once_as_the_agents_comment(deps: Deps, store: Store, publisher: RecordingPublisher,
                                                     ticket_id: int) -> None:
    typed = "\r\n  Unplug it.\r\n\r\nThen call us.  \r\n"  # as a browser posts a textarea

    reply = reply_as_agent(deps, ticket_id, author="agent@acme.test", body=typed)

    expected = Comment(ticket_id=ticket_id, author="agent@acme.test", body_text="Unplug it.\n\nThen call us.",
                       created_at=T0 + timedelta(hours=1), connection=HELP, author_kind="agent", id=reply.id,
                       message_id=reply.message_id)
    assert reply == expected
    assert deps.tokens.ticket_from_message_id(reply.message_id or "") == ticket_id  # our signed id: answers thread
    assert store.comments(ticket_id)[1:] == [expected]  # once, after the customer's mail
    assert store.comments(ticket_id)[0].author_kind == "customer"
    [mail] = store.list_notifications(ticket_id=ticket_id)
    assert (mail.to, mail.message_id, mail.in_reply_to, mail.text) == ((ANN,), reply.message_id, "m1@x",
                                                                      expected.body_text)
    assert mail.state == NotificationState.QUEUED and mail.event == f"reply:{reply.id}"
    assert publisher.published == [("outbound-mail", {"notification": mail.id})]


@pytest.mark.parametrize(("body", "message"), [
    ("", "empty"),
    (" \r\n\t \n", "empty"),
    ("x" * (MAX_REPLY_CHARS + 1), f"{MAX_REPLY_CHARS:,}"),
])
def test_empty_or_too_long_replies_are_refused(deps: Deps, store: Store, ticket_id: int, body: str,
                                               message: str) -> None:
    with pytest.raises(ReplyRefused, match=message):
        reply_as_agent(deps, ticket_id, author="admin", body=body)

    assert len(store.comments(ticket_id)) == 1
    assert store.list_notifications(ticket_id=ticket_id) == []


def test_a_reply_of_exactly_the_maximum_length_is_added(deps: Deps, store: Store, ticket_id: int) -> None:
    reply_as_agent(deps, ticket_id, author="admin", body="ü" * MAX_REPLY_CHARS)

    assert store.comments(ticket_id)[-1].body_text == "ü" * MAX_REPLY_CHARS


def test_a_reply_to_an_unknown_ticket_is_refused(deps: Deps, store: Store, ticket_id: int) -> None:
    with pytest.raises(TicketNotFound, match=f"#{ticket_id + 1000}"):
        reply_as_agent(deps, ticket_id + 1000, author="admin", body="Hello?")

    assert store.comments(ticket_id + 1000) == []


def test_a_reply_needs_an_author(deps: Deps, store: Store, ticket_id: int) -> None:
    with pytest.raises(ReplyRefused, match="signed in"):
        reply_as_agent(deps, ticket_id, author="  ", body="Hello")

    assert len(store.comments(ticket_id)) == 1


def test_a_reply_carries_its_agent_name_brand_and_signature(deps: Deps, store: Store, ticket_id: int) -> None:
    """Mailed as "Ana (Acme Support)" from the support address with Ana's signature below; the comment keeps the
    text as written and who wrote it. The shared admin secret's replies keep the brand's name alone."""
    store.save_brand(Brand("default", "Acme Support"))
    reply = reply_as_agent(deps, ticket_id, author="Ana", author_email="ana@acme.test", body="Unplug it.",
                           signature="Ana Lima\r\nAcme Support")
    assert (reply.author, reply.author_email, reply.body_text) == ("Ana", "ana@acme.test", "Unplug it.")
    assert store.comments(ticket_id)[-1].author_email == "ana@acme.test"
    [mail] = store.list_notifications(ticket_id=ticket_id)
    assert (mail.from_name, mail.from_address) == ("Ana (Acme Support)", HELP)
    assert mail.text == "Unplug it.\n\nAna Lima\nAcme Support" and "Ana Lima<br>Acme Support" in mail.html

    by_secret = reply_as_agent(deps, ticket_id, author="admin", body="Also this.")
    mail = next(n for n in store.list_notifications(ticket_id=ticket_id) if n.event == f"reply:{by_secret.id}")
    assert (mail.from_name, mail.text) == ("Acme Support", "Also this.")


ANA, BO = "ana@acme.test", "bo@acme.test"


def test_an_internal_note_is_stored_and_never_mailed(deps: Deps, store: Store, publisher: RecordingPublisher,
                                                     ticket_id: int) -> None:
    note = reply_as_agent(deps, ticket_id, author=ANA, body="Customer is on the VIP plan.", public=False)

    assert store.comments(ticket_id)[-1] == note
    assert (note.public, note.author_kind, note.message_id) == (False, "agent", None)
    assert store.list_notifications(ticket_id=ticket_id) == []
    assert publisher.published == []
    ticket = store.get_ticket(ticket_id)
    assert ticket is not None and ticket.status == TicketStatus.OPEN  # the first agent action opens a new ticket


@pytest.mark.parametrize("status", [TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ON_HOLD,
                                    TicketStatus.SOLVED])
def test_a_reply_submits_the_ticket_as_chosen(deps: Deps, store: Store, ticket_id: int,
                                              status: TicketStatus) -> None:
    reply_as_agent(deps, ticket_id, author=ANA, body="Done.", submit_as=status, version=0)
    ticket = store.get_ticket(ticket_id)
    assert ticket is not None and ticket.status == status and ticket.version == 1
    assert (ticket.solved_at is not None) is (status == TicketStatus.SOLVED)
    assert len(store.list_notifications(ticket_id=ticket_id)) == 1


def test_a_stale_form_writes_nothing_and_names_the_changes(deps: Deps, store: Store, ticket_id: int) -> None:
    update_ticket(deps, ticket_id, FieldChanges(priority=Priority.URGENT), actor=BO, version=0)

    with pytest.raises(EditConflict, match=f"Changed by {BO} meanwhile") as raised:
        update_ticket(deps, ticket_id, FieldChanges(priority=Priority.LOW), actor=ANA, version=0)
    assert [(e.field, e.new, e.actor) for e in raised.value.changes] == [
        ("status", "open", BO), ("priority", "urgent", BO)]
    with pytest.raises(EditConflict):
        reply_as_agent(deps, ticket_id, author=ANA, body="Stale.", submit_as=TicketStatus.SOLVED, version=0)

    ticket = store.get_ticket(ticket_id)
    assert ticket is not None and (ticket.priority, ticket.status, ticket.version) == (
        Priority.URGENT, TicketStatus.OPEN, 1)
    assert len(store.comments(ticket_id)) == 1 and store.list_notifications(ticket_id=ticket_id) == []

    # resubmitted at the version it now shows, it applies
    update_ticket(deps, ticket_id, FieldChanges(priority=Priority.LOW), actor=ANA, version=ticket.version)
    assert (store.get_ticket(ticket_id) or ticket).priority == Priority.LOW


def test_a_closed_ticket_refuses_replies_and_changes(deps: Deps, store: Store, ticket_id: int) -> None:
    def close(uow: Any) -> None:
        ticket = uow.get_ticket(ticket_id)
        ticket.status = TicketStatus.CLOSED
        uow.put_ticket(ticket)

    store.atomically(close)
    with pytest.raises(ChangeRefused, match="closed"):
        reply_as_agent(deps, ticket_id, author=ANA, body="Too late.")
    with pytest.raises(ChangeRefused, match="closed"):
        update_ticket(deps, ticket_id, FieldChanges(priority=Priority.HIGH), actor=ANA, version=None)
    assert len(store.comments(ticket_id)) == 1
