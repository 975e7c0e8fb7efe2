"""No spam through the help desk, and no customer made unreachable by one odd header (issue 12: items 1, 4, 8).

Through the real pipeline on both stores: mail delivered to the Gmail simulator over HTTP, stamped with the
Authentication-Results verdicts each case asks for (Gmail's `mx.google.com` stamp, read back by the real parser),
synced by the real ingest, its acknowledgement or an agent's reply sent via Gmail or the real SMTP relay (aiosmtpd,
offering or withholding SMTPUTF8). What went out is read where it lands: the simulator's SENT folder and the
relay's deliveries.

- Automatic mail goes to the From sender, never to Reply-To; only to a sender Google vouches for, or one whose
  domain publishes no DMARC; at most one per recipient per interval and a ceiling per account per hour. Each
  acknowledgement held back is a "skipped" record with the reason, on the ticket's page. A DMARC failure of a
  domain that publishes DMARC is suspended as a possible spoof: no ticket, no acknowledgement.
- The burst rule also counts one sending domain: rotating From addresses get suspended.
- An agent's reply goes to Reply-To only when it is in the sender's domain or the agent confirmed it.
- A NUL in a subject no longer fails every mail on the ticket; a non-ASCII local part goes out with SMTPUTF8 (and
  fails visibly, saying why, through a relay that does not offer it).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path

import pytest

from devstack.gmail_sim import GmailSimulator, SimServer
from devstack.relay_server import RelayServer
from gmail_tickets.domain.model import Comment, Outcome
from gmail_tickets.domain.outbox import Notification, NotificationState
from gmail_tickets.services import accounts
from gmail_tickets.services.agent_reply import reply_as_agent
from gmail_tickets.services.send_notification import send_notification
from gmail_tickets.services.sync_mailbox import sync_mailbox
from tests.integration.send_harness import SUPPORT, SendHarness

VERIFIED = {"spf": "pass", "dkim": "pass", "dmarc": "pass"}  # the sender's own domain, properly authenticated
ROUTES = ["gmail", "relay"]


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


def _arrive(harness: SendHarness, raw: bytes, **verdicts: str) -> tuple[Outcome, int | None]:
    """Delivered over the simulator's control API with Gmail's stamp made of `verdicts` (none: no stamp), then
    synced by the real ingest: what the mail became, and its ticket."""
    gmail_id = harness.deliver_over_http(raw, **verdicts)
    assert sync_mailbox(harness.deps, SUPPORT).status == "synced"
    entry = harness.store.atomically(lambda uow: uow.get_ledger(SUPPORT, gmail_id))
    assert entry is not None, "mail lost"
    return entry.outcome, entry.ticket_id


def _new_ticket(harness: SendHarness, raw: bytes, **verdicts: str) -> int:
    outcome, ticket_id = _arrive(harness, raw, **verdicts)
    assert outcome == Outcome.TICKET and ticket_id is not None, outcome
    return ticket_id


def _description(harness: SendHarness, ticket_id: int) -> Comment:
    return harness.store.comments(ticket_id)[0]


def _use_route(harness: SendHarness, route: str) -> None:
    if route == "relay":
        accounts.set_send_via_gmail(harness.deps, SUPPORT, False)


def _send_everything(harness: SendHarness) -> None:
    """Every outbox record through the real send path; a skipped one is never sent ("duplicate")."""
    for note in harness.pending():
        outcome = send_notification(harness.deps, note.id)
        assert outcome.result == ("duplicate" if note.state == NotificationState.SKIPPED else "sent"), outcome


def _went_out(harness: SendHarness) -> dict[str, set[str]]:
    """Recipients per route, read where the mail landed: the support mailbox's SENT folder (To, Cc, Bcc of each
    copy) and the relay's envelopes."""
    gmail: set[str] = set()
    for summary in harness.sim.messages(SUPPORT, "in:sent"):
        sent = message_from_bytes(harness.sim.raw_message(SUPPORT, summary["id"]), policy=policy.default)
        gmail |= {a.lower() for _, a in getaddresses([str(sent[h]) for h in ("To", "Cc", "Bcc") if sent[h]])}
    relay = {r.lower() for d in harness.relay.deliveries() for r in d.rcpt_tos}
    return {"gmail": gmail, "relay": relay}


def _only_via(route: str, *recipients: str) -> dict[str, set[str]]:
    return {"gmail": set(), "relay": set()} | {route: set(recipients)}


def _ack(harness: SendHarness, ticket_id: int) -> Notification:
    [ack] = [n for n in harness.pending(ticket_id) if n.event == "created"]
    return ack


def _sent_to(harness: SendHarness, note: Notification) -> str:
    return str(harness.sent_message(note.message_id)["To"])


# --------------------------------------------------------------------------- acknowledgements


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("sender", "reply_to"), [
    pytest.param("ann@customer.example", "victim@elsewhere.example", id="spam to a victim's address"),
    pytest.param("mallory@evil.example", "cara@customer.example", id="a stranger posing as a customer"),
])
def test_the_acknowledgement_goes_to_the_from_sender_never_to_an_attackers_reply_to(
        harness: SendHarness, route: str, sender: str, reply_to: str) -> None:
    _use_route(harness, route)
    ticket_id = _new_ticket(harness, _mail(f"Sender <{sender}>", "Buy cheap pills", reply_to=f"Them <{reply_to}>"),
                            **VERIFIED)  # the sender's own domain, properly authenticated
    said = _description(harness, ticket_id)
    assert (said.author, said.reply_to) == (sender, reply_to)
    assert said.auth is not None and said.auth.authenticated  # Google's stamp, read by the ingest
    ack = _ack(harness, ticket_id)
    assert ack.to == (sender,) and ack.state == NotificationState.QUEUED
    _send_everything(harness)
    assert _went_out(harness) == _only_via(route, sender)


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


NOT_AUTHENTICATED = "Acknowledgement not sent: sender not authenticated, and its domain publishes DMARC."


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("verdicts", "refusal"), [
    pytest.param(VERIFIED, None, id="dmarc pass"),
    pytest.param({"spf": "pass:bulk-mailer.example", "dkim": "pass,pass:bulk-mailer.example", "dmarc": "pass"}, None,
                 id="dmarc pass, sent through a mailing service"),
    pytest.param({"spf": "pass", "dkim": "pass"}, None, id="no dmarc, spf and dkim aligned"),
    pytest.param({"spf": "none"}, None, id="no records at all (gmail's spf=none)"),
    pytest.param({"spf": "softfail"}, None, id="no dmarc, spf softfail"),
    pytest.param({}, None, id="no stamp"),
    pytest.param({"spf": "pass:bulk-mailer.example", "dkim": "pass:bulk-mailer.example", "dmarc": "temperror"},
                 NOT_AUTHENTICATED, id="dmarc published, temperror, spf and dkim unaligned"),
    pytest.param({"spf": "softfail", "dmarc": "permerror"}, NOT_AUTHENTICATED, id="dmarc published, permerror"),
])
def test_acknowledgements_go_to_a_vouched_sender_or_one_whose_domain_publishes_no_dmarc(
        harness: SendHarness, route: str, verdicts: dict[str, str], refusal: str | None) -> None:
    _use_route(harness, route)
    sender = "ann@dmarc.example"
    ticket_id = _new_ticket(harness, _mail(f"Ann <{sender}>", "Hello"), **verdicts)
    assert (_description(harness, ticket_id).auth is None) == (not verdicts)
    ack = _ack(harness, ticket_id)  # the ticket's page lists its notifications: this one, sent or skipped
    assert ack.to == (sender,)
    if refusal is None:
        assert ack.state == NotificationState.QUEUED
    else:
        assert (ack.state, ack.last_error) == (NotificationState.SKIPPED, refusal)
    _send_everything(harness)
    assert _went_out(harness) == _only_via(route, *([sender] if refusal is None else []))


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("verdicts", [
    pytest.param({"spf": "fail", "dkim": "fail", "dmarc": "fail"}, id="everything failed"),
    pytest.param({"spf": "pass:evil.example", "dkim": "pass:evil.example", "dmarc": "fail"},
                 id="the forger's own domain passes, unaligned"),
])
def test_a_dmarc_failure_is_suspended_as_a_possible_spoof_and_acknowledged_to_nobody(
        harness: SendHarness, route: str, verdicts: dict[str, str]) -> None:
    _use_route(harness, route)
    outcome, ticket_id = _arrive(harness, _mail("Ann <ann@dmarc.example>", "Reset my password",
                                                reply_to="mallory@evil.example"), **verdicts)
    assert (outcome, ticket_id) == (Outcome.SUSPENDED, None)
    [held] = harness.store.list_suspended()
    assert held.sender == "ann@dmarc.example" and "possible spoof" in held.reason
    assert harness.store.list_tickets() == [] and harness.pending() == []
    _send_everything(harness)
    assert _went_out(harness) == _only_via(route)


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


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("reply_to", "confirmed", "expected"), [
    ("eve@evil.example", None, "ann@customer.example"),
    ("eve@evil.example", "someone@else.example", "ann@customer.example"),
    ("eve@evil.example", "eve@evil.example", "eve@evil.example"),
    ("orders@shop.customer.example", None, "orders@shop.customer.example"),
    ("orders@customer.example.evil.example", None, "ann@customer.example"),  # looks alike, another organization
])
def test_an_agents_reply_goes_to_reply_to_only_in_the_senders_domain_or_when_confirmed(
        harness: SendHarness, route: str, reply_to: str, confirmed: str | None, expected: str) -> None:
    _use_route(harness, route)
    ticket_id = _new_ticket(harness, _mail("Ann <ann@customer.example>", "Where is my order", reply_to=reply_to),
                            **VERIFIED)
    assert _description(harness, ticket_id).reply_to == reply_to
    comment = reply_as_agent(harness.deps, ticket_id, author="agent@example.com", body="On its way.",
                             reply_to_confirmed=confirmed)
    [reply] = [n for n in harness.pending(ticket_id) if n.event == f"reply:{comment.id}"]
    assert reply.to == (expected,)
    _send_everything(harness)
    # the acknowledgement went to Ann (the From) whatever the Reply-To; the reply to `expected` only
    assert _went_out(harness) == _only_via(route, "ann@customer.example", expected)
    if route == "gmail":
        assert _sent_to(harness, reply) == expected
    else:
        [delivered] = [d for d in harness.relay.deliveries() if d.message_id == reply.message_id]
        assert delivered.rcpt_tos == (expected,)


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
