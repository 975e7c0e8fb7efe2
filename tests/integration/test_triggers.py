"""The brand's triggers end to end, on SQLite and on Firestore (emulator): an assignment and a customer's reply
mail the assignee through the relay, a solve mails the requester (once turned on) through Gmail, each exactly once
per (ticket, event); internal notes, an agent's own actions, imported mail and triggers turned off send nothing."""

from __future__ import annotations

import dataclasses
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from devstack.gmail_sim import GmailSimulator, SimServer
from devstack.relay_server import RelayServer
from gmail_tickets.domain.model import Brand, TriggerSetting
from gmail_tickets.domain.outbox import Notification
from gmail_tickets.domain.people import Agent
from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.domain.ticket_lifecycle import FieldChanges
from gmail_tickets.domain.triggers import Trigger
from gmail_tickets.services.ack_template import save_ack_template
from gmail_tickets.services.agent_reply import reply_as_agent
from gmail_tickets.services.send_notification import send_notification
from gmail_tickets.services.sync_mailbox import sync_mailbox
from gmail_tickets.services.ticket_changes import update_ticket
from gmail_tickets.services.trigger_templates import save_trigger
from tests.integration.ingest_harness import customer_mail
from tests.integration.send_harness import SUPPORT, SendHarness

ANA, BO = "ana@acme.test", "bo@acme.test"


@pytest.fixture
def harness(sim: GmailSimulator, sim_server: SimServer, store, tmp_path: Path,  # type: ignore[no-untyped-def]
            relay: RelayServer) -> SendHarness:
    for email, name in ((ANA, "Ana"), (BO, "Bo")):
        store.save_agent(Agent(email, name))
    return SendHarness(sim, sim_server, store, tmp_path, relay)


def _events(harness: SendHarness, ticket_id: int, prefix: str) -> list[Notification]:
    return [n for n in harness.pending(ticket_id) if n.event.startswith(prefix)]


def _version(harness: SendHarness, ticket_id: int) -> int:
    ticket = harness.store.get_ticket(ticket_id)
    assert ticket is not None
    return ticket.version


def test_assignment_and_the_customer_s_reply_mail_the_assignee_through_the_relay(harness: SendHarness) -> None:
    harness.store.save_brand(Brand("default", "Acme Support"))
    ticket_id, first = harness.new_ticket("Scanner jams")
    update_ticket(harness.deps, ticket_id, FieldChanges(assignee=ANA), actor="Bo", actor_email=BO,
                  version=_version(harness, ticket_id))
    [assigned] = _events(harness, ticket_id, "assigned:")
    assert (assigned.event, assigned.to) == (f"assigned:{ticket_id}:{_version(harness, ticket_id)}", (ANA,))
    assert "Bo assigned ticket" in assigned.text and "Scanner jams" in assigned.text
    outcome = send_notification(harness.deps, assigned.id)
    assert (outcome.result, outcome.via, outcome.reason) == ("sent", "relay", "Mail to agents goes through the relay.")
    assert harness.relay_copies()[assigned.message_id] == 1 and harness.sent_copies()[assigned.message_id] == 0
    delivered = next(d for d in harness.relay.deliveries() if d.message_id == assigned.message_id)
    mail = message_from_bytes(delivered.content, policy=policy.default)
    assert delivered.rcpt_tos == (ANA,) and mail["Subject"] == f"[#{ticket_id}] Scanner jams"
    assert mail["From"].addresses[0].addr_spec == SUPPORT

    reply_as_agent(harness.deps, ticket_id, author="Ana", author_email=ANA, body="Which model?",
                   submit_as=TicketStatus.PENDING)
    assert _events(harness, ticket_id, "customer-reply:") == []  # an agent's reply tells no assignee
    answer = customer_mail(reply_to=first).replace(b"Message body", b"It is the X200, body")
    for _ in range(2):  # the same mail seen twice: one comment, one mail to the assignee
        harness.deliver(answer)
        sync_mailbox(harness.deps, SUPPORT)
    ticket = harness.store.get_ticket(ticket_id)
    assert ticket is not None and ticket.status == TicketStatus.OPEN  # reopened
    [told] = _events(harness, ticket_id, "customer-reply:")
    comment = harness.store.comments(ticket_id)[-1]
    assert told.event == f"customer-reply:{comment.id}" and told.to == (ANA,) and "It is the X200" in told.text
    assert send_notification(harness.deps, told.id).via == "relay"
    assert harness.relay_copies()[told.message_id] == 1

    ana = harness.store.get_agent(ANA)
    assert ana is not None
    harness.store.save_agent(dataclasses.replace(ana, active=False))  # deactivated: no longer told
    harness.deliver(customer_mail(reply_to=first))
    sync_mailbox(harness.deps, SUPPORT)
    assert len(harness.store.comments(ticket_id)) == 4  # the mail is on the ticket ...
    assert len(_events(harness, ticket_id, "customer-reply:")) == 1  # ... and nobody is told
    update_ticket(harness.deps, ticket_id, FieldChanges(assignee="dana@customer.example"), actor="Bo",
                  actor_email=BO, version=None)  # an outside address in the assignee field is never mailed
    assert len(_events(harness, ticket_id, "assigned:")) == 1


def test_nobody_is_told_of_their_own_act_and_notes_tell_nobody(harness: SendHarness) -> None:
    harness.store.save_brand(Brand("default", "Acme", triggers={
        "requester-solved": TriggerSetting(enabled=True)}))
    ticket_id, _ = harness.new_ticket("Self service", cc=[ANA])
    update_ticket(harness.deps, ticket_id, FieldChanges(assignee=ANA), actor="Ana", actor_email=ANA, version=None)
    assert _events(harness, ticket_id, "assigned:") == []  # took it themselves
    reply_as_agent(harness.deps, ticket_id, author="Ana", author_email=ANA, body="Note to self", public=False,
                   submit_as=TicketStatus.SOLVED)
    assert _events(harness, ticket_id, "solved:") == []  # an internal note fires nothing
    ticket = harness.store.get_ticket(ticket_id)
    assert ticket is not None and ticket.status == TicketStatus.SOLVED
    reply_as_agent(harness.deps, ticket_id, author="Ana", author_email=ANA, body="Done.",
                   submit_as=TicketStatus.SOLVED)  # already solved: no new solve, no solved mail
    [reply] = _events(harness, ticket_id, "reply:")
    assert ANA not in reply.cc  # a follower, but its author: not mailed their own reply
    assert _events(harness, ticket_id, "solved:") == []


def test_solved_mails_the_requester_once_turned_on_through_gmail(harness: SendHarness) -> None:
    ticket_id, _ = harness.new_ticket("Refund")
    update_ticket(harness.deps, ticket_id, FieldChanges(status=TicketStatus.SOLVED), actor="Bo", actor_email=BO,
                  version=None)
    assert _events(harness, ticket_id, "solved:") == []  # off by default
    save_trigger(harness.deps, "default", Trigger.REQUESTER_SOLVED, enabled=True,
                 template="Ticket {{ ticket_id }} is solved by {{ agent }}.")
    update_ticket(harness.deps, ticket_id, FieldChanges(status=TicketStatus.OPEN), actor="Bo", actor_email=BO,
                  version=None)
    reply_as_agent(harness.deps, ticket_id, author="Bo", author_email=BO, body="Refunded.",
                   submit_as=TicketStatus.SOLVED)
    [solved] = _events(harness, ticket_id, "solved:")
    ticket = harness.store.get_ticket(ticket_id)
    assert ticket is not None and solved.to == (ticket.requester,)
    assert solved.event == f"solved:{ticket_id}:{ticket.version}"
    assert solved.text == f"Ticket {ticket_id} is solved by Bo.\n"
    outcome = send_notification(harness.deps, solved.id)
    assert outcome.via == "gmail" and harness.sent_copies()[solved.message_id] == 1  # a customer's: Gmail


def test_a_brand_s_triggers_turned_off_send_nothing(harness: SendHarness) -> None:
    for trigger in (Trigger.REQUEST_RECEIVED, Trigger.COMMENT_UPDATE, Trigger.ASSIGNEE_ASSIGNED):
        save_trigger(harness.deps, "default", trigger, enabled=False, template=None)
    ticket_id, _ = harness.new_ticket("Quiet")
    [ack] = harness.pending(ticket_id)
    assert ack.state == "skipped" and "request-received trigger off" in (ack.last_error or "")
    update_ticket(harness.deps, ticket_id, FieldChanges(assignee=ANA), actor="Bo", actor_email=BO, version=None)
    reply_as_agent(harness.deps, ticket_id, author="Bo", author_email=BO, body="Hello")
    assert harness.pending(ticket_id) == [ack]


def test_a_german_brand_s_built_in_texts_go_out_in_german_and_its_own_text_as_written(harness: SendHarness) -> None:
    """The brand's language (Brands page) picks the catalog's built-in acknowledgement and trigger texts; the
    customer gets the German acknowledgement in Gmail's SENT folder. An admin's own template is not translated."""
    harness.store.save_brand(Brand("default", "Acme Support", language="de"))
    harness.deps.brands.forget()
    ticket_id, _ = harness.new_ticket("Rechnung fehlt")
    [ack] = _events(harness, ticket_id, "created")
    assert ack.text.startswith("Guten Tag") and f"das Ticket #{ticket_id} eröffnet" in ack.text
    assert "„Rechnung fehlt“" in ack.text and ack.text.rstrip().endswith("Acme Support")
    outcome = send_notification(harness.deps, ack.id)
    assert outcome.via == "gmail" and harness.sent_copies()[ack.message_id] == 1
    save_trigger(harness.deps, "default", Trigger.REQUESTER_SOLVED, enabled=True, template="")
    reply_as_agent(harness.deps, ticket_id, author="Bo", author_email=BO, body="Erledigt.",
                   submit_as=TicketStatus.SOLVED)
    [solved] = _events(harness, ticket_id, "solved:")
    assert f"Ihre Anfrage #{ticket_id}, „Rechnung fehlt“, wurde gelöst." in solved.text
    save_ack_template(harness.deps, "default", "Thanks, we opened #{{ ticket_id }}.")
    own_id, _ = harness.new_ticket("Second")
    [own] = _events(harness, own_id, "created")
    assert own.text == f"Thanks, we opened #{own_id}.\n"
