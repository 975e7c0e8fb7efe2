"""What one mail becomes, decided from reads alone; writing it is the caller's job (services/apply_mail.py).

Deciding is separate from writing so the whole decision — ledger, auto-mail verdict, burst, the threading ladder,
new followers — can be tested with plain values, and so every read happens before the unit of work's first write
(Firestore's rule). The order: already recorded → nothing; our own mail → ignored; a bounce → a comment on the
bounced mail's ticket, else suspended; auto-replies, bulk mail, bursts → suspended; a possible spoof (the From
domain publishes DMARC and the mail failed it) → suspended; the ladder → a comment when the sender is on the
ticket it answers (a CLOSED ticket it is on → a new follow-up ticket linking to it, unless a later rung names an
open one), else a new ticket that mentions it; else a new ticket. Before the ladder: the same mail already
recorded (same Message-ID AND the same mail: domain/same_mail.py), as through another inbox → set aside as a copy
of it; a different mail reusing the Message-ID goes on as any other. A reply's Cc join the ticket as followers only
when Google vouches for its sender.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from gmail_tickets.domain.auto_mail import MailKind, Verdict
from gmail_tickets.domain.model import LedgerEntry, Ticket
from gmail_tickets.domain.said import N_
from gmail_tickets.domain.same_mail import SAME_MAIL_REASON, original_of
from gmail_tickets.domain.thread_rules import (
    BOUNCE,
    Incoming,
    Match,
    ThreadLookup,
    bounced_ticket,
    matches,
    on_ticket,
)
from gmail_tickets.domain.ticket_fields import TicketStatus

# Kept on suspended mail in English; the console says them in the reader's language (domain/said.py `recognise`).
SPOOF_REASON = N_("possible spoof: the sender's domain publishes DMARC and this mail failed it")
_NOT_OUR_BOUNCE = N_("%(reason)s; the bounced mail is not one of ours")


@dataclass(frozen=True)
class Screening:
    """What is known of a mail before its unit of work: the auto-mail verdict, the burst rule's reason when the
    sender is writing too fast, and the domain burst's when many senders of its domain are (None otherwise)."""

    verdict: Verdict
    burst_reason: str | None = None
    domain_burst_reason: str | None = None  # holds back new tickets only: see decide


@dataclass(frozen=True)
class Duplicate:
    """The ledger has this mail: a redelivery, a racing sweep, a rerun. Nothing is written."""


@dataclass(frozen=True)
class NewTicket:
    """A new ticket; `mentions` is the ticket the mail answers when its sender is not on that one, and
    `matched_by` the rule that found it."""

    mentions: int | None = None
    matched_by: str | None = None
    follow_up_of: int | None = None  # the closed ticket the mail answers (its sender is on it): never reopened


@dataclass(frozen=True)
class AddComment:
    ticket_id: int
    matched_by: str
    joined: Ticket | None = None  # the ticket with the people this reply newly Cc's as followers; None: unchanged
    # the ticket as read, when the customer is speaking (a reply may reopen it); a copy of a read, not a decision
    ticket: Ticket | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True)
class Suspend:
    reason: str


@dataclass(frozen=True)
class Ignore:
    ticket_id: int | None
    reason: str


@dataclass(frozen=True)
class SameMail:
    """A copy of a mail already recorded (through another inbox, or again in this one): ignored, and kept visible
    with the ticket and comment it copies."""

    ticket_id: int
    comment_id: str | None
    reason: str = SAME_MAIL_REASON


Disposition = Duplicate | NewTicket | AddComment | Suspend | Ignore | SameMail


class IngestLookup(ThreadLookup, Protocol):
    """The threading reads, plus the ledger's answers for this very mail and for its Message-ID."""

    def already_recorded(self) -> bool: ...

    def recorded_with_message_id(self, message_id: str) -> Sequence[LedgerEntry]:
        """Entries (oldest first) of mail with this RFC Message-ID that went to a ticket."""


def decide(screening: Screening, mail: Incoming, lookup: IngestLookup, ours: Collection[str]) -> Disposition:
    """The disposition of one mail. `ours`: our own addresses, lower-cased (never followers)."""
    if lookup.already_recorded():
        return Duplicate()
    verdict = screening.verdict
    if verdict.kind == MailKind.OWN_LOOP:
        return Ignore(None, verdict.reason)
    if verdict.kind == MailKind.BOUNCE:
        bounced = bounced_ticket(mail, lookup)
        if bounced is not None:
            # A bounce is no customer speaking: its Cc (if any) is not someone the conversation was widened to.
            return AddComment(bounced, BOUNCE)
        return Suspend(_NOT_OUR_BOUNCE % {"reason": verdict.reason})
    if verdict.kind in (MailKind.AUTO_REPLY, MailKind.BULK):
        return Suspend(verdict.reason)
    if screening.burst_reason is not None:
        return Suspend(screening.burst_reason)
    if mail.possible_spoof:
        return Suspend(SPOOF_REASON)
    original = original_of(lookup.recorded_with_message_id(mail.message_id), mail.identity)
    if original is not None and original.ticket_id is not None:
        return SameMail(original.ticket_id, original.comment_id)
    disposition = _thread(mail, lookup, ours)
    if isinstance(disposition, NewTicket) and screening.domain_burst_reason is not None:
        # Rotating addresses of one domain open tickets; they cannot silence that domain's customers on the
        # tickets they are already on (anyone can send 100 mails from gmail.com addresses).
        return Suspend(screening.domain_burst_reason)
    return disposition


def _thread(mail: Incoming, lookup: ThreadLookup, ours: Collection[str]) -> Disposition:
    """The first ticket of the ladder the sender is on takes the mail as a comment. When the mail answers tickets
    its sender is on none of, it opens a new ticket that mentions the first of them."""
    first: Match | None = None
    closed: Match | None = None
    read: dict[int, Ticket | None] = {}
    for match in matches(mail, lookup):
        if match.ticket_id not in read:
            read[match.ticket_id] = lookup.ticket(match.ticket_id)
        ticket = read[match.ticket_id]
        if ticket is None:
            continue
        if on_ticket(ticket, mail.from_address):
            if ticket.status == TicketStatus.CLOSED:  # a later rung may name its follow-up: look on
                closed = closed or match
                continue
            joined = _with_new_followers(mail, ticket, ours) if mail.authenticated else None
            return AddComment(match.ticket_id, match.rule, joined, ticket)
        first = first or match
    if closed is not None:
        return NewTicket(matched_by=closed.rule, follow_up_of=closed.ticket_id)
    return NewTicket(first.ticket_id, first.rule) if first else NewTicket()


def first_followers(mail: Incoming, ours: Collection[str]) -> list[str]:
    """A new ticket's followers: the Cc, minus us and the requester."""
    return [a for a in mail.cc if a.lower() not in ours and a != mail.requester]


def _with_new_followers(mail: Incoming, ticket: Ticket, ours: Collection[str]) -> Ticket | None:
    """The ticket with the people this (authenticated) reply newly Cc's appended as followers, so the agent's next
    reply reaches them too; None when nobody is new (then nothing is written)."""
    sender = mail.from_address.lower()
    cc = [a for a in mail.cc if a.lower() not in ours and a.lower() != sender]
    if not cc:
        return None
    known = {ticket.requester.lower(), *(f.lower() for f in ticket.followers)}
    new = []
    for address in cc:
        if address.lower() not in known:
            known.add(address.lower())
            new.append(address)
    if not new:
        return None
    return dataclasses.replace(ticket, followers=[*ticket.followers, *new])


def decide_recovered(mail: Incoming, lookup: IngestLookup, ours: Collection[str]) -> Disposition:
    """What a suspended mail an agent recovers becomes: what it would have become had it not been suspended —
    the auto-mail, burst and spoof rules were the agent's call — by the same ladder and sender-trust rule, except
    that a possible spoof never joins a ticket (its From is not proven: it opens a new one that mentions it). The
    same mail already on a ticket (through another inbox) is that ticket's (`SameMail`): nothing is made twice."""
    original = original_of(lookup.recorded_with_message_id(mail.message_id), mail.identity)
    if original is not None and original.ticket_id is not None:
        return SameMail(original.ticket_id, original.comment_id)
    disposition = _thread(mail, lookup, ours)
    if mail.possible_spoof and isinstance(disposition, AddComment):
        return NewTicket(disposition.ticket_id, disposition.matched_by)
    return disposition
