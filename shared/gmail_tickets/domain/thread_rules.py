"""The threading ladder: which stored identifiers may attach a mail to an existing ticket, in which order.

An ordered table of named rules; the first that names a ticket wins, and its name is recorded on the comment
(`matched_by`). Each rule reads only through a `ThreadLookup`, so it can be tested with a few dicts. Subject alone
never threads.

A rule only says which ticket a mail ANSWERS. Whether it may JOIN that ticket is one check for every rule
(`on_ticket`, applied by domain/disposition.py): its sender — the From mailbox — must be the ticket's requester or
a follower. A Message-ID or a ticket number is no secret, and whoever joins a ticket receives its replies.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.same_mail import MailIdentity
from gmail_tickets.domain.ticket_token import ticket_from_subject

GMAIL_THREAD = "gmail_thread"
REFERENCES = "references"
MESSAGE_ID_TOKEN = "message_id_token"  # In-Reply-To/References name one of our signed Message-IDs
SUBJECT_TOKEN = "subject_token"  # "[#123]" in the subject
BOUNCE = "bounce"  # a delivery report about a mail of this ticket (not a ladder rule: see `bounced_ticket`)


class ThreadLookup(Protocol):
    """The reads the rules need; inside a unit of work, so what they see is what the write will rest on."""

    def ticket_for_message_ids(self, message_ids: Sequence[str]) -> int | None:
        """The ticket of the first of these RFC Message-IDs that we stored."""

    def ticket_for_gmail_thread(self, thread_id: str) -> int | None:
        """The ticket this mailbox's Gmail thread already belongs to."""

    def signed_ticket(self, message_id: str) -> int | None:
        """The ticket id one of OUR signed Message-IDs names (signature verified), else None. No store read."""

    def ticket(self, ticket_id: int) -> Ticket | None: ...


@dataclass(frozen=True)
class Incoming:
    """What threading (and the decision around it) reads of one mail. Addresses lower-cased, ids bare."""

    message_id: str
    gmail_thread_id: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    subject: str = ""
    requester: str = ""  # who a new ticket is for: the From mailbox, or "unknown sender"
    from_address: str = ""  # the From mailbox, read strictly; "" when unknown (then it is on no ticket)
    cc: tuple[str, ...] = ()
    original_message_id: str | None = None  # for a delivery report: the bounced mail's Message-ID
    authenticated: bool = False  # Google vouches for the From (DMARC pass, or aligned SPF/DKIM pass)
    possible_spoof: bool = False  # the From domain publishes DMARC and the mail failed it
    gmail_message_id: str = ""
    content_hash: str | None = None  # domain/same_mail.content_hash

    @property
    def identity(self) -> MailIdentity:
        return MailIdentity(self.gmail_message_id, self.from_address, self.content_hash)

    @property
    def reference_candidates(self) -> list[str]:
        return reference_candidates(self.in_reply_to, self.references)


@dataclass(frozen=True)
class Match:
    ticket_id: int
    rule: str


def reference_candidates(in_reply_to: str | None, references: Sequence[str]) -> list[str]:
    """Message-IDs to look up, most specific first: In-Reply-To, then References from newest to oldest."""
    seen: list[str] = []
    for mid in ([in_reply_to] if in_reply_to else []) + list(reversed(references)):
        if mid and mid not in seen:
            seen.append(mid)
    return seen


def _existing_signed(lookup: ThreadLookup, message_id: str) -> int | None:
    """The ticket our signed Message-ID names, when that ticket exists."""
    signed = lookup.signed_ticket(message_id)
    return signed if signed is not None and lookup.ticket(signed) is not None else None


class ThreadRule(Protocol):
    name: str

    def ticket(self, mail: Incoming, lookup: ThreadLookup) -> int | None: ...


class GmailThread:
    """Gmail put the mail into a thread of this mailbox that already belongs to a ticket."""

    name = GMAIL_THREAD

    def ticket(self, mail: Incoming, lookup: ThreadLookup) -> int | None:
        return lookup.ticket_for_gmail_thread(mail.gmail_thread_id)


class References:
    """In-Reply-To / References name a Message-ID we stored (one lookup for all of them)."""

    name = REFERENCES

    def ticket(self, mail: Incoming, lookup: ThreadLookup) -> int | None:
        refs = mail.reference_candidates
        return lookup.ticket_for_message_ids(refs) if refs else None


class MessageIdToken:
    """In-Reply-To / References name one of our signed Message-IDs, even one never stored (a split thread)."""

    name = MESSAGE_ID_TOKEN

    def ticket(self, mail: Incoming, lookup: ThreadLookup) -> int | None:
        for ref in mail.reference_candidates:
            found = _existing_signed(lookup, ref)
            if found is not None:
                return found
        return None


class SubjectToken:
    """"[#123]" in the subject, naming a ticket that exists (anyone can type a token: `on_ticket` decides)."""

    name = SUBJECT_TOKEN

    def ticket(self, mail: Incoming, lookup: ThreadLookup) -> int | None:
        named = ticket_from_subject(mail.subject)
        return named if named is not None and lookup.ticket(named) is not None else None


LADDER: tuple[ThreadRule, ...] = (GmailThread(), References(), MessageIdToken(), SubjectToken())
"""Most certain first. A mail's OWN Message-ID threads nothing: the same mail through another inbox is found before
the ladder (domain/same_mail.py), and a different mail reusing a Message-ID is a mail of its own."""


def matches(mail: Incoming, lookup: ThreadLookup, ladder: Sequence[ThreadRule] = LADDER) -> Iterator[Match]:
    """Each ticket the mail answers, with the rule that said so, in ladder order; read lazily, rule by rule."""
    for rule in ladder:
        ticket_id = rule.ticket(mail, lookup)
        if ticket_id is not None:
            yield Match(ticket_id, rule.name)


def find_ticket(mail: Incoming, lookup: ThreadLookup, ladder: Sequence[ThreadRule] = LADDER) -> Match | None:
    """The first ticket the mail answers and the rule that said so; None: it answers none."""
    return next(matches(mail, lookup, ladder), None)


def on_ticket(ticket: Ticket, sender: str) -> bool:
    """The sender (the From mailbox) is the ticket's requester or one of its followers. An unknown sender ("")
    is on no ticket."""
    sender = sender.strip().lower()
    return bool(sender) and sender in {ticket.requester.lower(), *(f.lower() for f in ticket.followers)}


def bounced_ticket(mail: Incoming, lookup: ThreadLookup) -> int | None:
    """The ticket whose mail bounced: the report names the original Message-ID (ours, signed, or stored)."""
    original = mail.original_message_id
    if not original:
        return None
    signed = _existing_signed(lookup, original)
    return signed if signed is not None else lookup.ticket_for_message_ids([original])
