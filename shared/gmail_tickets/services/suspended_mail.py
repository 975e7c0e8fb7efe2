"""Suspended mail an agent takes back (as Zendesk lets agents recover suspended tickets): recovered into what it
would have been — a new ticket, or the comment on the ticket it answers, by the threading ladder and the
sender-trust rule (domain/disposition.decide_recovered) — from its kept raw bytes, exactly once; or deleted.

Exactly once: the suspended record is read again in the unit of work that writes the ticket or comment, and that
unit moves it off the list (`recover_suspended`, keeping its links to what the mail became) and rewrites the
mail's ledger entry (outcome, ticket, comment, its Gmail thread indexed). A second or concurrent recovery reads
the moved record (or loses the commit and, retried, reads it) and is refused with the ticket it became. The
console and the API both call this.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from gmail_tickets.domain.disposition import SameMail, decide_recovered
from gmail_tickets.domain.model import Outcome, SuspendedMail
from gmail_tickets.domain.said import said
from gmail_tickets.errors import GmailTicketsError
from gmail_tickets.mail.parse import parse
from gmail_tickets.ports import UnitOfWork
from gmail_tickets.services import audit, webhook_events
from gmail_tickets.services.apply_mail import MailWriter
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.ingest_values import GmailIds, KeptMail
from gmail_tickets.services.mail_blobs import keep_attachments
from gmail_tickets.services.notifications import announce
from gmail_tickets.services.record_mail import UnitLookup
from gmail_tickets.services.sync_mailbox import ingest_context

log = logging.getLogger(__name__)


class SuspendedNotFound(GmailTicketsError):
    """No suspended mail has this id (a mistyped id, or deleted)."""


class RecoveryRefused(GmailTicketsError):
    """The mail cannot be recovered; the message says why, for the agent."""


class AlreadyRecovered(RecoveryRefused):
    def __init__(self, record: SuspendedMail) -> None:
        super().__init__(said("This mail was recovered already, into ticket #%(ticket)s.",
                              ticket=str(record.recovered_ticket)))
        self.record = record


@dataclass(frozen=True)
class Recovery:
    record: SuspendedMail  # as kept now: off the list, with its recovered_* links
    ticket_id: int
    comment_id: str | None
    new_ticket: bool  # a ticket was made (else the mail joined, or already was on, an existing one)


def _listed(record: SuspendedMail | None, record_id: str) -> SuspendedMail:
    if record is None:
        raise SuspendedNotFound(said("There is no suspended mail %(id)s.", id=record_id))
    if record.recovered_ticket is not None:
        raise AlreadyRecovered(record)
    return record


def _kept(deps: Deps, record: SuspendedMail) -> KeptMail:
    """The mail again, from its kept raw bytes (its attachments kept as on arrival: content-addressed)."""
    if record.duplicate_of_ticket is not None:
        raise RecoveryRefused(said("This mail is a copy of one already on ticket #%(ticket)s: there is nothing to "
                                   "recover.", ticket=str(record.duplicate_of_ticket)))
    try:
        mail = parse(deps.blobs.get(record.raw_key or ""))
    except KeyError as missing:
        raise RecoveryRefused(said("The raw bytes of this mail were not kept: it cannot be recovered.")) from missing
    except Exception as error:  # ParseFailure, or a parser bug: the record stays as it is
        raise RecoveryRefused(said("This mail could not be read again: it cannot be recovered.")) from error
    ids = GmailIds(record.gmail_message_id, record.gmail_thread_id or "", record.internal_date or record.created_at)
    attachments = keep_attachments(deps.blobs, mail.attachments)
    return KeptMail(ids, mail, tuple(attachments), record.raw_key).with_checked_sender()


def recover(deps: Deps, record_id: str, *, actor: str) -> Recovery:
    """Make suspended mail `record_id` what it would have been; `actor` (an agent's email) is audited."""
    first = _listed(deps.store.get_suspended(record_id), record_id)
    kept = _kept(deps, first)
    connection = deps.store.get_connection(first.connection)
    if connection is None:
        raise RecoveryRefused(said("The mailbox %(address)s is not connected any more: its mail cannot be "
                                   "recovered.", address=first.connection))
    mail = kept.mail
    ctx = ingest_context(deps, connection).with_ours(
        deps.own_addresses.among(deps.store, [mail.from_address, mail.reply_to, *mail.cc]))
    now = deps.clock.now()
    incoming = kept.incoming()
    owed: list[str] = []

    def work(uow: UnitOfWork) -> Recovery:
        owed.clear()
        record = _listed(uow.get_suspended(record_id), record_id)
        entry = uow.get_ledger(record.connection, record.gmail_message_id)
        lookup = UnitLookup(uow, deps.tokens, record.connection, record.gmail_message_id)
        decided = decide_recovered(incoming, lookup, ctx.ours)
        if isinstance(decided, SameMail):  # on a ticket already, through another inbox: point there
            ticket_id, comment_id, made = decided.ticket_id, decided.comment_id, False
            if entry is not None:
                uow.replace_ledger(dataclasses.replace(entry, outcome=Outcome.IGNORED, ticket_id=ticket_id,
                                                       comment_id=comment_id))
        else:
            recorded = MailWriter(deps, ctx, kept, now, replaces=entry).apply(uow, decided)
            ticket_id, comment_id = recorded.ticket_id or 0, recorded.comment_id
            made = recorded.outcome is Outcome.TICKET
            if recorded.notification_id is not None:
                owed.append(recorded.notification_id)
        moved = dataclasses.replace(record, recovered_ticket=ticket_id, recovered_comment=comment_id,
                                    recovered_by=actor, recovered_at=now)
        uow.recover_suspended(moved)
        uow.add_audit(audit.entry(deps, actor, "suspended.recover", record_id,
                                  f"{record.sender} → ticket #{ticket_id}"))
        return Recovery(moved, ticket_id, comment_id, made)

    recovery = deps.store.atomically(work)
    log.info("suspended mail recovered", extra={"connection": first.connection, "ticket_id": recovery.ticket_id,
                                                "new_ticket": recovery.new_ticket})
    announce(deps, owed)
    webhook_events.announce(deps)
    return recovery


def delete(deps: Deps, record_id: str, *, actor: str) -> None:
    """Drop a listed suspended mail for good (its ledger entry and raw bytes stay: it is never fetched again)."""

    def work(uow: UnitOfWork) -> None:
        record = _listed(uow.get_suspended(record_id), record_id)
        uow.delete_suspended(record_id)
        uow.add_audit(audit.entry(deps, actor, "suspended.delete", record_id, record.sender))

    deps.store.atomically(work)
