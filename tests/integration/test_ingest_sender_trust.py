"""Who may join a ticket, through the whole path (simulator over HTTP with Gmail's Authentication-Results stamp →
adapter → services → store), on SQLite and on the Firestore emulator: the sender is the From mailbox read strictly;
a mail joins a ticket only when that sender is its requester or a follower, else it opens a new ticket that
mentions the one it answers; a DMARC failure from a domain that publishes DMARC is suspended as a possible spoof;
a reply's Cc become followers only when Google vouches for the sender."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from gmail_tickets.domain.model import Outcome, Ticket
from gmail_tickets.domain.ticket_token import subject_token
from gmail_tickets.mail.inbound import UNKNOWN_SENDER
from gmail_tickets.services.agent_reply import reply_as_agent
from gmail_tickets.services.send_notification import send_notification
from gmail_tickets.services.sync_mailbox import sync_mailbox
from tests.integration.ingest_harness import IngestHarness

SUPPORT = "support@example.com"
CARA = "cara@customer.example"
MALLORY = "mallory@evil.example"
ACCOMPLICE = "accomplice@evil.example"
VERIFIED = {"spf": "pass", "dkim": "pass", "dmarc": "pass"}  # the sender's own domain, properly authenticated


@pytest.fixture
def harness(sim, sim_server, store, tmp_path: Path) -> Iterator[IngestHarness]:
    yield IngestHarness(sim, sim_server, store, tmp_path)


def mail(subject: str, *, sender: str, body: str = "Please help.", **fields: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = SUPPORT
    msg["Subject"] = subject
    for name, value in fields.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def raw_mail(from_header: bytes, subject: str = "Hello") -> bytes:
    """A mail whose From header is exactly these bytes (EmailMessage would re-render it)."""
    return (b"From: " + from_header + b"\r\nTo: " + SUPPORT.encode() + b"\r\nSubject: " + subject.encode()
            + b"\r\nMessage-ID: <" + base64.b32encode(from_header[:20]).rstrip(b"=") + b"@sender.example>"
            + b"\r\n\r\nHello.\r\n")


def arrive(harness: IngestHarness, raw: bytes, **verdicts: str) -> str:
    gmail_id = harness.deliver_over_http(raw, **verdicts)
    assert sync_mailbox(harness.deps, SUPPORT).status == "synced"
    return gmail_id


def outcome(harness: IngestHarness, gmail_id: str) -> Outcome:
    entry = harness.store.atomically(lambda uow: uow.get_ledger(SUPPORT, gmail_id))
    assert entry is not None, "mail lost"
    return entry.outcome


def cara_opens_a_ticket(harness: IngestHarness) -> Ticket:
    arrive(harness, mail("Refund", sender=f"Cara <{CARA}>", Message_ID="<refund-1@customer.example>"), **VERIFIED)
    [ticket] = harness.store.list_tickets()
    return ticket


def ticket_of(harness: IngestHarness, gmail_id: str) -> Ticket:
    entry = harness.store.atomically(lambda uow: uow.get_ledger(SUPPORT, gmail_id))
    ticket = harness.store.get_ticket(entry.ticket_id)
    assert ticket is not None
    return ticket


def test_ticket_hijack_by_subject_token_and_reply_to_opens_a_new_ticket_and_the_agents_reply_skips_the_stranger(
        harness: IngestHarness) -> None:
    ticket = cara_opens_a_ticket(harness)
    hijack = arrive(harness, mail(f"Re: Refund {subject_token(ticket.id)}", sender=f"Cara Support <{MALLORY}>",
                                  Reply_To=f"Cara <{CARA}>", Cc=ACCOMPLICE, body="Send the refund to my new IBAN."),
                    **VERIFIED)
    assert outcome(harness, hijack) == Outcome.TICKET
    stranger = ticket_of(harness, hijack)
    assert (stranger.requester, stranger.mentions) == (MALLORY, ticket.id)
    [said] = harness.store.comments(stranger.id)
    assert said.author == MALLORY and said.reply_to == CARA and said.auth is not None and said.auth.authenticated
    assert [c.author for c in harness.store.comments(ticket.id)] == [CARA]  # nothing was added to Cara's ticket
    assert harness.store.get_ticket(ticket.id).followers == []  # the stranger's Cc did not join it

    reply_as_agent(harness.deps, ticket.id, author="agent@example.com", body="Your refund is on its way.")
    [queued] = [n for n in harness.store.list_notifications(ticket_id=ticket.id) if n.event.startswith("reply")]
    send_notification(harness.deps, queued.id)
    [sent] = [m for m in harness.sim.messages(SUPPORT, "in:sent") if queued.message_id in (m["messageId"] or "")]
    recipients = f"{sent['to']} {sent['cc']}".lower()
    assert CARA in recipients and MALLORY not in recipients and ACCOMPLICE not in recipients


@pytest.mark.parametrize("subject", ["Re: Refund", "Something else entirely"])  # in Gmail's thread, or not
def test_thread_hijack_by_references_opens_a_new_ticket_mentioning_it(harness: IngestHarness, subject: str) -> None:
    ticket = cara_opens_a_ticket(harness)
    hijack = arrive(harness, mail(subject, sender=MALLORY, In_Reply_To="<refund-1@customer.example>",
                                  References="<refund-1@customer.example>", Cc=ACCOMPLICE), **VERIFIED)
    assert outcome(harness, hijack) == Outcome.TICKET
    assert ticket_of(harness, hijack).mentions == ticket.id
    assert harness.store.get_ticket(ticket.id).followers == []
    # Cara's own next reply still joins her ticket: the stranger's ticket took neither her thread nor her ids.
    answer = arrive(harness, mail("Re: Refund", sender=CARA, In_Reply_To="<refund-1@customer.example>",
                                  References="<refund-1@customer.example>"), **VERIFIED)
    assert outcome(harness, answer) == Outcome.COMMENT and ticket_of(harness, answer).id == ticket.id


def test_the_address_in_angle_brackets_is_the_sender_not_a_display_name_that_looks_like_one(
        harness: IngestHarness) -> None:
    ticket = cara_opens_a_ticket(harness)
    spoof = arrive(harness, raw_mail(f"{CARA} <{MALLORY}>".encode(), f"Re: Refund {subject_token(ticket.id)}"))
    assert outcome(harness, spoof) == Outcome.TICKET
    assert (ticket_of(harness, spoof).requester, ticket_of(harness, spoof).mentions) == (MALLORY, ticket.id)
    assert len(harness.store.comments(ticket.id)) == 1


@pytest.mark.parametrize("from_header", [
    b"=?utf-8?q?mallory=40evil.example?=",  # an encoded display name alone
    b"=?utf-8?q?mallory=40evil.example?= =?utf-8?q?=0D=0A?=",  # with an encoded CR LF (read as an address before)
    b"=?utf-8?b?" + base64.b64encode(b"x\r\n<mallory@evil.example>") + b"?=",
    f"{CARA}, {MALLORY}".encode(),  # two mailboxes
    b"undisclosed-recipients:;",  # none
])
def test_a_from_without_exactly_one_real_mailbox_is_an_unknown_sender_and_no_address_is_made_up(
        harness: IngestHarness, from_header: bytes) -> None:
    gmail_id = arrive(harness, raw_mail(from_header))
    ticket = ticket_of(harness, gmail_id)
    assert ticket.requester == UNKNOWN_SENDER and "@" not in ticket.requester
    assert all(MALLORY not in n.to for n in harness.store.list_notifications(ticket_id=ticket.id))


def test_a_dmarc_failure_claiming_to_be_the_requester_is_suspended_as_a_possible_spoof(
        harness: IngestHarness) -> None:
    ticket = cara_opens_a_ticket(harness)
    forged = arrive(harness, mail(f"Re: Refund {subject_token(ticket.id)}", sender=f"Cara <{CARA}>", Cc=ACCOMPLICE),
                    spf="fail:evil.example", dkim="pass:evil.example", dmarc="fail")
    assert outcome(harness, forged) == Outcome.SUSPENDED
    [held] = harness.store.list_suspended()
    assert "possible spoof" in held.reason and held.sender == CARA
    assert len(harness.store.comments(ticket.id)) == 1 and harness.store.get_ticket(ticket.id).followers == []


@pytest.mark.parametrize(("verdicts", "joins"), [
    (VERIFIED, True),
    ({"spf": "pass", "dkim": "pass"}, True),  # no DMARC record, but SPF and DKIM aligned with the From
    ({}, False),  # no stamp
    ({"spf": "none"}, False),  # Gmail's stamp for a domain with no records
    ({"spf": "pass:bulk-mailer.example", "dkim": "pass:bulk-mailer.example"}, False),  # passes, but not aligned
])
def test_a_replys_cc_become_followers_only_when_the_sender_is_authenticated(
        harness: IngestHarness, verdicts: dict[str, str], joins: bool) -> None:
    ticket = cara_opens_a_ticket(harness)
    reply = arrive(harness, mail("Re: Refund", sender=CARA, In_Reply_To="<refund-1@customer.example>",
                                 Cc="Dave <dave@customer.example>"), **verdicts)
    assert outcome(harness, reply) == Outcome.COMMENT
    assert harness.store.get_ticket(ticket.id).followers == (["dave@customer.example"] if joins else [])
    auth = harness.store.comments(ticket.id)[-1].auth
    assert (auth is not None and auth.authenticated) == joins and (auth is None) == (not verdicts)


@pytest.mark.parametrize(("verdicts", "joins"), [
    ({"spf": "pass:customer.example", "dkim": "pass:customer.example"}, True),
    ({"spf": "pass:evil.example", "dkim": "pass:evil.example"}, False),  # passes, but for another domain
    ({}, False),  # no stamp
])
def test_a_sender_recovered_from_a_malformed_from_is_trusted_only_as_far_as_googles_stamp_vouches(
        harness: IngestHarness, verdicts: dict[str, str], joins: bool) -> None:
    ticket = cara_opens_a_ticket(harness)
    raw = (f"From: Cara {CARA}\r\nTo: {SUPPORT}\r\nSubject: Re: Refund\r\nMessage-ID: <again@customer.example>\r\n"
           f"In-Reply-To: <refund-1@customer.example>\r\nCc: Dave <dave@customer.example>\r\n\r\nThanks!\r\n").encode()
    reply = arrive(harness, raw, **verdicts)
    assert outcome(harness, reply) == Outcome.COMMENT and ticket_of(harness, reply).id == ticket.id
    said = harness.store.comments(ticket.id)[-1]
    assert said.author == CARA
    assert (said.auth is not None and said.auth.authenticated) == joins
    assert harness.store.get_ticket(ticket.id).followers == (["dave@customer.example"] if joins else [])
