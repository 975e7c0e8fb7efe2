"""A requester address no server accepts (issue "Real-world mail, read right", item 2), through the real pipeline
on both stores: mail delivered to the Gmail simulator, synced by the real ingest, the outbox sent for real.

- `ana@example.com.` (a trailing dot) is repaired: the ticket is Ana's, acknowledged at `ana@example.com`.
- `a..b@customer.example` cannot be repaired: a ticket marked "invalid address", its acknowledgement skipped
  saying why (never a failure), and an agent's reply refused with a clear message — an internal note still goes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from devstack.gmail_sim import GmailSimulator, SimServer
from devstack.relay_server import RelayServer
from gmail_tickets.domain.outbox import NotificationState
from gmail_tickets.services.agent_reply import ReplyRefused, reply_as_agent
from gmail_tickets.services.send_notification import send_notification
from gmail_tickets.services.sync_mailbox import sync_mailbox
from tests.integration.send_harness import SUPPORT, SendHarness


@pytest.fixture
def harness(sim: GmailSimulator, sim_server: SimServer, store, tmp_path: Path,  # type: ignore[no-untyped-def]
            relay: RelayServer) -> SendHarness:
    return SendHarness(sim, sim_server, store, tmp_path, relay)


def _raw(sender: str, subject: str) -> bytes:
    return (f"From: Ana <{sender}>\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\n"
            f"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{subject.replace(' ', '-')}@mua.example>\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\nPlease help.\r\n").encode()


def _ticket(harness: SendHarness, raw: bytes) -> int:
    gmail_id = harness.deliver(raw)
    assert sync_mailbox(harness.deps, SUPPORT).status == "synced"
    entry = harness.store.atomically(lambda uow: uow.get_ledger(SUPPORT, gmail_id))
    assert entry is not None and entry.ticket_id is not None, f"no ticket: {entry}"
    return entry.ticket_id


def test_a_trailing_dot_is_repaired_and_the_acknowledgement_goes_out(harness: SendHarness) -> None:
    ticket_id = _ticket(harness, _raw("Ana@Example.COM.", "Printer on fire"))
    ticket = harness.store.get_ticket(ticket_id)
    assert ticket is not None and (ticket.requester, ticket.invalid_address) == ("ana@example.com", None)
    [ack] = harness.pending(ticket_id)
    assert ack.to == ("ana@example.com",)
    assert send_notification(harness.deps, ack.id).result == "sent"
    assert harness.only_notification(ticket_id).state == NotificationState.SENT


def test_an_address_that_cannot_be_repaired_marks_the_ticket_and_skips_mail_to_it(harness: SendHarness) -> None:
    ticket_id = _ticket(harness, _raw("a..b@customer.example", "Scanner jammed"))
    ticket = harness.store.get_ticket(ticket_id)
    assert ticket is not None and ticket.requester == "a..b@customer.example"
    assert ticket.invalid_address and "two periods" in ticket.invalid_address
    [ack] = harness.pending(ticket_id)
    assert ack.state == NotificationState.SKIPPED and ack.to == ()
    assert "a..b@customer.example is invalid" in (ack.last_error or "")
    assert send_notification(harness.deps, ack.id).result == "duplicate"  # a skipped record is never sent

    with pytest.raises(ReplyRefused, match=re.escape("No reply can be mailed to a..b@customer.example")):
        reply_as_agent(harness.deps, ticket_id, author="Agent", body="We are on it.")
    assert len(harness.store.comments(ticket_id)) == 1  # nothing stored by the refused reply
    reply_as_agent(harness.deps, ticket_id, author="Agent", body="Phoned her instead.", public=False)
    assert [n.state for n in harness.pending(ticket_id)] == [NotificationState.SKIPPED]
    assert not harness.sim.messages(SUPPORT, "in:sent") and not harness.relay.deliveries()
