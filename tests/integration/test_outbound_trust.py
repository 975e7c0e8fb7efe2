"""No spam through the help desk, and no customer made unreachable by one odd header (issue 12: items 1, 4, 8).

Through the real pipeline on both stores: mail delivered to the Gmail simulator over HTTP, synced, its
acknowledgement sent via Gmail or the real SMTP relay (aiosmtpd, offering or withholding SMTPUTF8).

- Automatic mail goes to the From sender, never to Reply-To; only to a sender Google vouches for, or one whose
  domain publishes no DMARC; at most one per recipient per interval and a ceiling per account per hour. Each
  acknowledgement held back is a "skipped" record with the reason, on the ticket's page.
- The burst rule also counts one sending domain: rotating From addresses get suspended.
- An agent's reply goes to Reply-To only when it is in the sender's domain or the agent confirmed it.
- A NUL in a subject no longer fails every mail on the ticket; a non-ASCII local part goes out with SMTPUTF8 (and
  fails visibly, saying why, through a relay that does not offer it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest

from devstack.gmail_sim import GmailSimulator, SimServer
from devstack.relay_server import RelayServer
from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.outbox import Notification, NotificationState
from gmail_tickets.domain.sender_auth import SenderAuth
from gmail_tickets.services import accounts, notifications
from gmail_tickets.services.agent_reply import reply_as_agent
from gmail_tickets.services.send_notification import send_notification
from gmail_tickets.services.sync_mailbox import sync_mailbox
from tests.integration.send_harness import SUPPORT, SendHarness


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[RelayServer]:
    with RelayServer(tmp_path / "relay") as server:
        yield server


@pytest.fixture
def harness(sim: GmailSimulator, sim_server: SimServer, store, tmp_path: Path,  # type: ignore[no-untyped-def]
            relay: RelayServer) -> SendHarness:
    return SendHarness(sim, sim_server, store, tmp_path, relay)


def _mail(sender: str, subject: str, *, reply_to: str | None = None, utf8: bool = False) -> bytes:
    msg = EmailMessage(policy=policy.SMTPUTF8 if utf8 else policy.SMTP)
    msg["From"] = sender
    msg["To"] = SUPPORT
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid("c", "customer.example")
    msg.set_content("Please help.\n")
    return msg.as_bytes()


def _ingest(harness: SendHarness, raw: bytes) -> int:
    gmail_id = harness.deliver(raw)
    sync_mailbox(harness.deps, SUPPORT)
    entry = harness.store.atomically(lambda uow: uow.get_ledger(SUPPORT, gmail_id))
    assert entry is not None and entry.ticket_id is not None, f"no ticket: {entry}"
    return entry.ticket_id


def _ack(harness: SendHarness, ticket_id: int) -> Notification:
    [ack] = [n for n in harness.pending(ticket_id) if n.event == "created"]
    return ack


def _sent_to(harness: SendHarness, note: Notification) -> str:
    return str(harness.sent_message(note.message_id)["To"])


# --------------------------------------------------------------------------- acknowledgements


def test_the_acknowledgement_goes_to_the_from_sender_never_to_reply_to(harness: SendHarness) -> None:
    ticket_id = _ingest(harness, _mail("Ann <ann@customer.example>", "Buy cheap pills",
                                       reply_to="victim@elsewhere.example"))
    ack = _ack(harness, ticket_id)
    assert ack.to == ("ann@customer.example",) and ack.state == NotificationState.QUEUED
    assert send_notification(harness.deps, ack.id).result == "sent"
    assert _sent_to(harness, ack) == "ann@customer.example"
    assert not [m for m in harness.sim.messages(SUPPORT, "in:sent") if "victim" in str(m)]


def test_one_acknowledgement_per_recipient_per_ten_minutes_the_others_skipped_visibly(harness: SendHarness) -> None:
    first = _ingest(harness, _mail("bob@customer.example", "First question"))
    second = _ingest(harness, _mail("bob@customer.example", "Second question"))
    assert _ack(harness, first).state == NotificationState.QUEUED
    held = _ack(harness, second)
    assert held.state == NotificationState.SKIPPED and "10 minutes" in (held.last_error or "")
    assert send_notification(harness.deps, held.id).result == "duplicate"  # a skipped record is never sent

    harness.clock.offset = timedelta(minutes=11)
    third = _ingest(harness, _mail("bob@customer.example", "Third question"))
    assert _ack(harness, third).state == NotificationState.QUEUED


def test_the_acknowledgements_of_one_account_stop_at_the_hourly_ceiling(harness: SendHarness) -> None:
    harness.deps.settings = replace(harness.deps.settings, ack_ceiling_per_hour=2)
    tickets = [_ingest(harness, _mail(f"user{i}@org{i}.example", f"Question {i}")) for i in range(3)]
    states = [_ack(harness, t).state for t in tickets]
    assert states == [NotificationState.QUEUED, NotificationState.QUEUED, NotificationState.SKIPPED]
    assert "ceiling of 2" in (_ack(harness, tickets[2]).last_error or "")
    harness.clock.offset = timedelta(minutes=61)
    assert _ack(harness, _ingest(harness, _mail("late@org9.example", "Later"))).state == NotificationState.QUEUED


@pytest.mark.parametrize(("auth", "sent", "reason"), [
    (SenderAuth("dmarc.example", spf="pass", spf_domain="bulk.example", dkim="none", dmarc="quarantine"),
     False, "not authenticated"),
    (SenderAuth("dmarc.example", spf="fail", dkim="fail", dmarc="fail"), False, "possible spoof"),
    (SenderAuth("dmarc.example", spf="pass", dkim="pass", dmarc="pass"), True, ""),
    (SenderAuth("nodmarc.example", spf="neutral", dmarc="none"), True, ""),
])
def test_acknowledgements_need_a_vouched_sender_where_the_domain_publishes_dmarc(
        harness: SendHarness, auth: SenderAuth, sent: bool, reason: str) -> None:
    """Google's verdicts as the ingest path keeps them on the description comment (set directly here)."""
    now = harness.clock.now()
    sender = f"ann@{auth.from_domain}"
    ticket = Ticket(subject="Hello", requester=sender, connection=SUPPORT, created_at=now)
    description = Comment(ticket_id=0, author=sender, body_text="b", created_at=now, connection=SUPPORT, auth=auth)

    def work(uow):  # type: ignore[no-untyped-def]
        recent = notifications.recent_automatic_mail(harness.deps, uow, sender=sender, account=SUPPORT, now=now)
        description.ticket_id = uow.add_ticket(ticket)
        uow.add_comment(description)
        ack = notifications.acknowledgement(harness.deps, ticket, description, sender=sender, recent=recent, brand=None,
                              customer_message_id=None, references=(), ours={SUPPORT}, now=now)
        assert ack is not None
        uow.put_notification(ack)
        return ack

    ack = harness.store.atomically(work)
    stored = harness.store.get_notification(ack.id)
    assert stored is not None and (stored.state == NotificationState.QUEUED) is sent
    assert reason in (stored.last_error or "")
    if sent:
        assert send_notification(harness.deps, ack.id).result == "sent" and _sent_to(harness, ack) == sender


# --------------------------------------------------------------------------- bursts


def test_rotating_senders_of_one_domain_are_suspended_as_a_burst(harness: SendHarness) -> None:
    harness.deps.settings = replace(harness.deps.settings, burst_domain_threshold=3)
    for i in range(3):
        _ingest(harness, _mail(f"seller{i}@mail{i}.spam.example", f"Offer {i}"))
    harness.deliver(_mail("seller9@spam.example", "Offer 9"))
    harness.deliver(_mail("someone@other.example", "Unrelated"))
    sync_mailbox(harness.deps, SUPPORT)
    suspended = harness.store.list_suspended()
    assert [s.sender for s in suspended] == ["seller9@spam.example"]
    assert "from this sender's domain" in suspended[0].reason
    assert len(harness.store.list_tickets()) == 4


# --------------------------------------------------------------------------- agents' replies


def _ticket_with_reply_to(harness: SendHarness, reply_to: str) -> int:
    """A ticket whose description named a Reply-To, as the ingest path keeps it (set directly here)."""
    now = harness.clock.now()
    requester = "ann@customer.example"

    def work(uow):  # type: ignore[no-untyped-def]
        ticket_id = uow.add_ticket(Ticket(subject="Where is my order", requester=requester, connection=SUPPORT,
                                          created_at=now))
        uow.add_comment(Comment(ticket_id=ticket_id, author=requester, body_text="?", created_at=now,
                                connection=SUPPORT, reply_to=reply_to))
        return ticket_id

    return harness.store.atomically(work)


@pytest.mark.parametrize(("reply_to", "confirmed", "expected"), [
    ("eve@evil.example", None, "ann@customer.example"),
    ("eve@evil.example", "someone@else.example", "ann@customer.example"),
    ("eve@evil.example", "eve@evil.example", "eve@evil.example"),
    ("orders@shop.customer.example", None, "orders@shop.customer.example"),
])
def test_an_agents_reply_goes_to_reply_to_only_in_the_senders_domain_or_when_confirmed(
        harness: SendHarness, reply_to: str, confirmed: str | None, expected: str) -> None:
    ticket_id = _ticket_with_reply_to(harness, reply_to)
    comment = reply_as_agent(harness.deps, ticket_id, author="agent@example.com", body="On its way.",
                             reply_to_confirmed=confirmed)
    [reply] = [n for n in harness.pending(ticket_id) if n.event == f"reply:{comment.id}"]
    assert reply.to == (expected,)
    assert send_notification(harness.deps, reply.id).result == "sent"
    assert _sent_to(harness, reply) == expected


# --------------------------------------------------------------------------- mail that used to fail


@pytest.mark.parametrize("via_relay", [False, True])
def test_a_nul_in_the_subject_no_longer_fails_every_mail_to_the_customer(harness: SendHarness,
                                                                          via_relay: bool) -> None:
    if via_relay:
        accounts.set_send_via_gmail(harness.deps, SUPPORT, False)
    raw = _mail("carl@customer.example", "placeholder").replace(
        b"Subject: placeholder", b"Subject: =?utf-8?q?Broken=00printer=0D=0ABcc:_x@evil.example?=")
    ticket_id = _ingest(harness, raw)
    ack = _ack(harness, ticket_id)
    comment = reply_as_agent(harness.deps, ticket_id, author="agent@example.com", body="Fixed.")
    [reply] = [n for n in harness.pending(ticket_id) if n.event == f"reply:{comment.id}"]
    for note in (ack, reply):
        outcome = send_notification(harness.deps, note.id)
        assert (outcome.result, outcome.via) == ("sent", "relay" if via_relay else "gmail"), outcome
    if via_relay:
        [delivered] = [d for d in harness.relay.deliveries() if d.message_id == reply.message_id]
        assert delivered.rcpt_tos == ("carl@customer.example",)
        sent = message_from_bytes(delivered.content, policy=policy.default)
    else:
        sent = harness.sent_message(reply.message_id)
    # NUL removed, the encoded line break a space: the would-be header stays words of the subject
    assert sent["Subject"] == "Re: Brokenprinter Bcc: x@evil.example" and "Bcc" not in sent


@pytest.mark.parametrize("route", ["gmail", "relay with SMTPUTF8", "relay without SMTPUTF8"])
def test_a_non_ascii_local_part_goes_out_with_smtputf8_or_fails_saying_why(harness: SendHarness,
                                                                           route: str) -> None:
    customer = "jörg@customer.example"
    if route != "gmail":
        accounts.set_send_via_gmail(harness.deps, SUPPORT, False)
        harness.relay.offer_smtputf8(route == "relay with SMTPUTF8")
    ticket_id = _ingest(harness, _mail(f"Jörg <{customer}>", "Grüße", utf8=True))
    ack = _ack(harness, ticket_id)
    assert ack.to == (customer,)
    outcome = send_notification(harness.deps, ack.id)
    if route == "relay without SMTPUTF8":
        stored = harness.store.get_notification(ack.id)
        assert outcome.result == "failed" and stored is not None and stored.state == NotificationState.FAILED
        assert "SMTPUTF8" in (stored.last_error or "")
        return
    assert (outcome.result, outcome.via) == ("sent", route.split()[0])
    if route == "gmail":
        assert _sent_to(harness, ack) == customer
    else:
        [delivered] = [d for d in harness.relay.deliveries() if d.message_id == ack.message_id]
        assert delivered.rcpt_tos == (customer,)
        assert f"To: {customer}".encode() in delivered.content
