"""What one mail becomes, decided from reads alone; writing it is the caller's job (services/apply_mail.py).

Deciding is separate from writing so the whole decision — ledger, auto-mail verdict, burst, the threading ladder,
new followers — can be tested with plain values, and so every read happens before the unit of work's first write
(Firestore's rule). The order: already recorded → nothing; our own mail → ignored; a bounce → a comment on the
bounced mail's ticket, else suspended; auto-replies, bulk mail, bursts → suspended; the ladder → a comment (the
same mail via another inbox → ignored); else a new ticket.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from gmail_tickets.domain.auto_mail import MailKind, Verdict
from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.thread_rules import (
    BOUNCE,
    SAME_MESSAGE,
    Incoming,
    ThreadLookup,
    bounced_ticket,
    find_ticket,
)

SAME_MAIL_REASON = "the same mail arrived through another connected inbox"


@dataclass(frozen=True)
class Screening:
    """What is known of a mail before its unit of work: the auto-mail verdict, and the burst rule's reason when
    the sender is writing too fast (None otherwise)."""

    verdict: Verdict
    burst_reason: str | None = None


@dataclass(frozen=True)
class Duplicate:
    """The ledger has this mail: a redelivery, a racing sweep, a rerun. Nothing is written."""


@dataclass(frozen=True)
class NewTicket:
    pass


@dataclass(frozen=True)
class AddComment:
    ticket_id: int
    matched_by: str
    joined: Ticket | None = None  # the ticket with the people this reply newly Cc's as followers; None: unchanged


@dataclass(frozen=True)
class Suspend:
    reason: str


@dataclass(frozen=True)
class Ignore:
    ticket_id: int | None
    reason: str


Disposition = Duplicate | NewTicket | AddComment | Suspend | Ignore


class IngestLookup(ThreadLookup, Protocol):
    """The threading reads, plus the ledger's answer for this very mail."""

    def already_recorded(self) -> bool: ...


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
        return Suspend(f"{verdict.reason}; the bounced mail is not one of ours")
    if verdict.kind in (MailKind.AUTO_REPLY, MailKind.BULK):
        return Suspend(verdict.reason)
    if screening.burst_reason is not None:
        return Suspend(screening.burst_reason)
    match = find_ticket(mail, lookup)
    if match is None:
        return NewTicket()
    if match.rule == SAME_MESSAGE:
        return Ignore(match.ticket_id, SAME_MAIL_REASON)
    return AddComment(match.ticket_id, match.rule, _with_new_followers(mail, match.ticket_id, lookup, ours))


def first_followers(mail: Incoming, ours: Collection[str]) -> list[str]:
    """A new ticket's followers: the Cc, minus us and the requester."""
    return [a for a in mail.cc if a.lower() not in ours and a != mail.requester]


def _with_new_followers(mail: Incoming, ticket_id: int, lookup: ThreadLookup,
                        ours: Collection[str]) -> Ticket | None:
    """The ticket with the people this reply newly Cc's appended as followers, so the agent's next reply reaches
    them too; None when nobody is new (then nothing is written). The ticket is read only when the Cc names
    someone besides us and the sender."""
    sender = mail.requester.lower()
    cc = [a for a in mail.cc if a.lower() not in ours and a.lower() != sender]
    if not cc:
        return None
    ticket = lookup.ticket(ticket_id)
    if ticket is None:
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
