"""Turn one fetched mail into exactly one effect: a ticket, a comment, a suspended or ignored record, or a
quarantine record.

Three steps: screen (reads outside the unit of work: the auto-mail verdict and the sender's burst count), decide
(reads inside it: the ledger and the threading ladder; domain/disposition.py), write (services/apply_mail.py).
The ledger entry and its effect are written in ONE transaction, and the ledger entry is create-if-absent. A
second attempt at the same mail (redelivery, a racing sweep, a rerun after a crash) finds the entry, or loses
the create at commit, and changes nothing: that is the exactly-once guarantee.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gmail_tickets.domain import auto_mail
from gmail_tickets.domain.disposition import Screening, decide
from gmail_tickets.domain.ingest_context import IngestContext
from gmail_tickets.domain.model import LedgerEntry, Outcome, QuarantineRecord, Ticket
from gmail_tickets.domain.org_domain import organization_of
from gmail_tickets.domain.ticket_token import TicketTokens
from gmail_tickets.errors import AlreadyRecorded
from gmail_tickets.mail.parse import InboundEmail, ParseFailure, parse
from gmail_tickets.ports import RawMessage, UnitOfWork
from gmail_tickets.services import mail_blobs, webhook_events
from gmail_tickets.services.apply_mail import MailWriter, record_id
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.ingest_values import GmailIds, KeptMail, Recorded
from gmail_tickets.services.notifications import announce

log = logging.getLogger(__name__)


def record_mail(deps: Deps, ctx: IngestContext, message: RawMessage, raw_kept: bool = False) -> Recorded:
    """Keep the bytes (before anything can fail; `raw_kept`: the caller kept them already, mail_blobs.keep_raws),
    parse, keep the attachments, record. A mail that does not parse is quarantined with its bytes."""
    ids = GmailIds(message.id, message.thread_id, message.internal_date)
    raw_key = (mail_blobs.raw_key(ctx.address, message.id) if raw_kept
               else mail_blobs.keep_raw(deps.blobs, ctx.address, message.id, message.raw))
    try:
        mail = parse(message.raw)
    except ParseFailure as exc:
        return _quarantine(deps, ctx, ids, message.raw, raw_key, f"unparseable: {exc}")
    except Exception as exc:  # a parser bug must not sink the mail either: keep the bytes, say why
        return _quarantine(deps, ctx, ids, message.raw, raw_key, f"parser error: {type(exc).__name__}")
    attachments = mail_blobs.keep_attachments(deps.blobs, mail.attachments)
    return record_parsed(deps, ctx, KeptMail(ids, mail, tuple(attachments), raw_key))


def record_parsed(deps: Deps, ctx: IngestContext, kept: KeptMail) -> Recorded:
    kept = kept.with_checked_sender()
    mail = kept.mail
    ctx = ctx.with_ours(deps.own_addresses.among(deps.store, [mail.from_address, mail.reply_to, *mail.cc]))
    now = deps.clock.now()
    screening = screen(deps, ctx, kept.mail, now)
    incoming = kept.incoming()
    writer = MailWriter(deps, ctx, kept, now)

    def work(uow: UnitOfWork) -> Recorded:
        lookup = UnitLookup(uow, deps.tokens, ctx.address, kept.ids.message_id)
        return writer.apply(uow, decide(screening, incoming, lookup, ctx.ours))

    try:
        recorded = deps.store.atomically(work)
    except AlreadyRecorded:  # lost the ledger entry's create at commit: another attempt recorded this mail
        return Recorded(kept.ids.message_id, None)
    if recorded.outcome is not None:
        log.info("mail recorded", extra={"connection": ctx.address, "gmail_message_id": kept.ids.message_id,
                                         "outcome": recorded.outcome.value, "ticket_id": recorded.ticket_id,
                                         "matched_by": recorded.matched_by, "reason": recorded.reason})
    if recorded.notification_id is not None:
        announce(deps, [recorded.notification_id])
    webhook_events.announce(deps)
    return recorded


def screen(deps: Deps, ctx: IngestContext, mail: InboundEmail, now: datetime) -> Screening:
    """What can be known before the unit of work: automatic mail from its headers, and, for mail a person seems
    to have written, whether its sender is writing in a burst (a store count, outside the transaction)."""
    verdict = auto_mail.classify(
        mail.headers,
        sender=mail.from_address,
        return_path=mail.headers.get("return-path"),
        is_delivery_report=mail.is_delivery_report,
        support_addresses=ctx.ours,
        signed_by_us=deps.tokens.is_ours(mail.message_id),
        list_mail_is_bulk=ctx.list_mail_is_bulk,
    )
    if verdict.kind != auto_mail.MailKind.NORMAL or not mail.from_address:
        return Screening(verdict)
    since = ctx.burst.window_start(now)
    # The sender's own count is at most its organization's (every ledger entry with a sender keeps both keys), so
    # when the organization's is below the sender's threshold the sender cannot be in a burst: one count a mail
    # then, not two. Imported history counts the sender only: no domain is writing in a burst.
    org = organization_of(mail.from_address)
    from_domain = None if ctx.importing or not org else deps.store.recent_domain_mail_count(org, since)
    sender_may_burst = from_domain is None or ctx.burst.is_burst(from_domain)
    if sender_may_burst and ctx.burst.is_burst(deps.store.recent_mail_count(mail.from_address, since)):
        return Screening(verdict, ctx.burst.reason)
    if from_domain is None:
        return Screening(verdict)
    reason = ctx.burst.domain_reason if ctx.burst.is_domain_burst(from_domain) else None  # rotating senders
    return Screening(verdict, domain_burst_reason=reason)


@dataclass(frozen=True)
class UnitLookup:
    """The decision's reads, through one mail's unit of work (domain/disposition.IngestLookup)."""

    uow: UnitOfWork
    tokens: TicketTokens
    connection: str
    gmail_message_id: str

    def already_recorded(self) -> bool:
        """Not read: the ledger entry is create-if-absent in every store, so a mail recorded meanwhile fails its
        unit at the ledger write (AlreadyRecorded, nothing written) just as this read would have stopped it. The
        sync's pre-filter (ledger_contains, one batched read per chunk) already drops what was recorded before;
        skipping the read leaves a new ticket's unit on Firestore with no read at all, committed in one round
        trip without a transaction (firestore_store/transaction.py)."""
        return False

    def ticket_for_message_ids(self, message_ids: Sequence[str]) -> int | None:
        return self.uow.ticket_for_message_ids(message_ids)

    def recorded_with_message_id(self, message_id: str) -> Sequence[LedgerEntry]:
        return self.uow.recorded_with_message_id(message_id)

    def ticket_for_gmail_thread(self, thread_id: str) -> int | None:
        if thread_id == self.gmail_message_id:  # Gmail names a thread after its first message: nothing came before
            return None
        return self.uow.ticket_for_thread(self.connection, thread_id)

    def signed_ticket(self, message_id: str) -> int | None:
        return self.tokens.ticket_from_message_id(message_id)

    def ticket(self, ticket_id: int) -> Ticket | None:
        return self.uow.get_ticket(ticket_id)


def _quarantine(deps: Deps, ctx: IngestContext, ids: GmailIds, raw: bytes, raw_key: str | None,
                reason: str) -> Recorded:
    now = deps.clock.now()
    address = ctx.address
    record = QuarantineRecord(
        id=record_id(address, ids.message_id),
        connection=address,
        reason=reason,
        raw=raw,
        source="gmail",
        gmail_message_id=ids.message_id,
        created_at=now,
    )

    def work(uow: UnitOfWork) -> Recorded:
        if uow.get_ledger(address, ids.message_id) is not None:
            return Recorded(ids.message_id, None)
        uow.add_ledger(LedgerEntry(address, ids.message_id, Outcome.QUARANTINED, created_at=now, raw_key=raw_key),
                       thread_id=None)
        uow.add_quarantine(record)
        return Recorded(ids.message_id, Outcome.QUARANTINED, reason=reason)

    try:
        recorded = deps.store.atomically(work)
    except AlreadyRecorded:
        return Recorded(ids.message_id, None)
    log.warning("mail quarantined", extra={"connection": address, "gmail_message_id": ids.message_id,
                                           "reason": reason})
    return recorded
