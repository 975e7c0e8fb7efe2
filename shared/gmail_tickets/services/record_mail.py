"""Turn one fetched mail into exactly one effect: a ticket, a comment, a suspended or ignored record, or a
quarantine record.

The ledger entry and its effect are written in ONE transaction, and the ledger entry is create-if-absent. A
second attempt at the same mail (redelivery, a racing sweep, a rerun after a crash) finds the entry, or loses
the create at commit, and changes nothing: that is the exactly-once guarantee.

What a mail becomes is decided in this order: our own mail coming back → ignored; a bounce → a comment on the
ticket of the bounced mail, else suspended; auto-replies, bulk and list mail, and bursts from one sender →
suspended; then the threading ladder (the same mail via another inbox, Gmail thread, References, our signed
Message-ID token, the subject token from a known participant) → a comment; else a new ticket.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from gmail_tickets.domain import auto_mail
from gmail_tickets.domain import threading as ladder
from gmail_tickets.domain.model import (
    Attachment,
    Brand,
    Comment,
    Connection,
    LedgerEntry,
    Outcome,
    QuarantineRecord,
    SuspendedMail,
    Ticket,
)
from gmail_tickets.domain.ticket_token import ticket_from_subject
from gmail_tickets.errors import AlreadyRecorded
from gmail_tickets.mail.parse import InboundEmail, ParseFailure, parse
from gmail_tickets.ports import RawMessage, UnitOfWork
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.mail_blobs import keep_attachments, keep_raw
from gmail_tickets.services.notifications import acknowledgement, announce

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recorded:
    """What became of a mail. `outcome` is None when the ledger already had it (a duplicate avoided)."""

    gmail_message_id: str
    outcome: Outcome | None
    ticket_id: int | None = None
    matched_by: str | None = None
    reason: str | None = None
    notification_id: str | None = None  # the acknowledgement this mail's new ticket owes (see notifications)


@dataclass(frozen=True)
class GmailIds:
    """Where a mail sits in Gmail: enough to record it without its bytes."""

    message_id: str
    thread_id: str
    internal_date: datetime | None


def record_mail(
    deps: Deps,
    connection: Connection,
    message: RawMessage,
    support_addresses: Collection[str],
    *,
    suppress_triggers: bool = False,
) -> Recorded:
    ids = GmailIds(message.id, message.thread_id, message.internal_date)
    raw_key = keep_raw(deps.blobs, connection.address, message.id, message.raw)
    try:
        mail = parse(message.raw)
    except ParseFailure as exc:
        return _quarantine(deps, connection, ids, message.raw, raw_key, f"unparseable: {exc}")
    except Exception as exc:  # a parser bug must not sink the mail either: keep the bytes, say why
        return _quarantine(deps, connection, ids, message.raw, raw_key, f"parser error: {type(exc).__name__}")
    attachments = keep_attachments(deps.blobs, mail.attachments)
    return record_parsed(deps, connection, ids, mail, attachments, raw_key, support_addresses,
                         suppress_triggers=suppress_triggers)


def record_parsed(
    deps: Deps,
    connection: Connection,
    ids: GmailIds,
    mail: InboundEmail,
    attachments: list[Attachment],
    raw_key: str | None,
    support_addresses: Collection[str],
    *,
    suppress_triggers: bool = False,
) -> Recorded:
    now = deps.clock.now()
    ours = {a.lower() for a in support_addresses} | {connection.address.lower()}
    verdict = auto_mail.classify(
        mail.headers,
        sender=mail.from_address,
        return_path=mail.headers.get("return-path"),
        is_delivery_report=mail.is_delivery_report,
        support_addresses=ours,
        signed_by_us=deps.tokens.is_ours(mail.message_id),
        list_mail_is_bulk=deps.settings.list_mail_is_bulk,
    )
    reason = verdict.reason
    suspend = verdict.kind in (auto_mail.MailKind.AUTO_REPLY, auto_mail.MailKind.BULK)
    if verdict.kind == auto_mail.MailKind.NORMAL and mail.from_address:
        policy = auto_mail.BurstPolicy(deps.settings.burst_threshold,
                                       timedelta(seconds=deps.settings.burst_window_seconds))
        if policy.is_burst(deps.store.recent_mail_count(mail.from_address, policy.window_start(now))):
            suspend, reason = True, policy.reason
    brand = None if suppress_triggers else deps.brands.get(deps.store, connection.brand_id)
    writer = _Writer(deps, connection, ids, mail, attachments, raw_key, now, ours, suppress_triggers, brand)

    def work(uow: UnitOfWork) -> Recorded:
        if uow.get_ledger(connection.address, ids.message_id) is not None:
            return Recorded(ids.message_id, None)
        if verdict.kind == auto_mail.MailKind.OWN_LOOP:
            return writer.ignore(uow, None, reason)
        if verdict.kind == auto_mail.MailKind.BOUNCE:
            bounced = _bounced_ticket(uow, deps, mail)
            if bounced is not None:
                return writer.comment(uow, bounced, ladder.BOUNCE)
            return writer.suspend(uow, f"{reason}; the bounced mail is not one of ours")
        if suspend:
            return writer.suspend(uow, reason)
        ticket_id, matched_by = _thread(uow, deps, connection.address, ids.thread_id, mail)
        if matched_by == ladder.SAME_MESSAGE:
            return writer.ignore(uow, ticket_id, "the same mail arrived through another connected inbox")
        if ticket_id is not None:
            return writer.comment(uow, ticket_id, matched_by)
        return writer.new_ticket(uow)

    try:
        recorded = deps.store.atomically(work)
    except AlreadyRecorded:
        return Recorded(ids.message_id, None)
    if recorded.outcome is not None:
        log.info("mail recorded", extra={"connection": connection.address, "gmail_message_id": ids.message_id,
                                         "outcome": recorded.outcome.value, "ticket_id": recorded.ticket_id,
                                         "matched_by": recorded.matched_by, "reason": recorded.reason})
    if recorded.notification_id is not None:
        announce(deps, [recorded.notification_id])
    return recorded


def _thread(uow: UnitOfWork, deps: Deps, connection: str, thread_id: str,
            mail: InboundEmail) -> tuple[int | None, str | None]:
    """The threading ladder, reads only. Subject alone never threads."""
    same = uow.ticket_for_message_ids([mail.message_id])
    if same is not None:
        return same, ladder.SAME_MESSAGE
    by_thread = uow.ticket_for_thread(connection, thread_id)
    if by_thread is not None:
        return by_thread, ladder.GMAIL_THREAD
    refs = ladder.reference_candidates(mail.in_reply_to, mail.references)
    by_refs = uow.ticket_for_message_ids(refs) if refs else None
    if by_refs is not None:
        return by_refs, ladder.REFERENCES
    for ref in refs:
        signed = deps.tokens.ticket_from_message_id(ref)
        if signed is not None and uow.get_ticket(signed) is not None:
            return signed, ladder.MESSAGE_ID_TOKEN
    by_subject = ticket_from_subject(mail.subject)
    if by_subject is not None:
        ticket = uow.get_ticket(by_subject)
        participants = {ticket.requester.lower(), *(f.lower() for f in ticket.followers)} if ticket else set()
        if mail.requester.lower() in participants or mail.from_address in participants:
            return by_subject, ladder.SUBJECT_TOKEN
    return None, None


def _bounced_ticket(uow: UnitOfWork, deps: Deps, mail: InboundEmail) -> int | None:
    """The ticket whose mail bounced: the report names the original Message-ID (ours, signed, or stored)."""
    original = mail.original_message_id
    if not original:
        return None
    signed = deps.tokens.ticket_from_message_id(original)
    if signed is not None and uow.get_ticket(signed) is not None:
        return signed
    return uow.ticket_for_message_ids([original])


@dataclass
class _Writer:
    """The writes of one mail's unit of work: always a ledger entry, plus at most one effect."""

    deps: Deps
    connection: Connection
    ids: GmailIds
    mail: InboundEmail
    attachments: list[Attachment]
    raw_key: str | None
    now: datetime
    ours: set[str]
    suppress_triggers: bool
    brand: Brand | None

    def entry(self, outcome: Outcome, ticket_id: int | None = None, comment_id: str | None = None) -> LedgerEntry:
        return LedgerEntry(
            connection=self.connection.address,
            gmail_message_id=self.ids.message_id,
            outcome=outcome,
            ticket_id=ticket_id,
            comment_id=comment_id,
            rfc_message_id=self.mail.message_id,
            created_at=self.now,
            sender=self.mail.from_address or None,
            raw_key=self.raw_key,
        )

    def _comment(self, uow: UnitOfWork, ticket_id: int, matched_by: str | None) -> str:
        return uow.add_comment(Comment(
            ticket_id=ticket_id,
            author=self.mail.requester,
            body_text=self.mail.text_body,
            body_html=self.mail.html_body,
            created_at=self.ids.internal_date or self.now,
            connection=self.connection.address,
            gmail_message_id=self.ids.message_id,
            message_id=self.mail.message_id,
            matched_by=matched_by,
            attachments=self.attachments,
        ))

    def new_ticket(self, uow: UnitOfWork) -> Recorded:
        ticket = Ticket(
            subject=self.mail.subject,
            requester=self.mail.requester,
            requester_name=self.mail.from_name,
            connection=self.connection.address,
            brand_id=self.connection.brand_id,
            followers=[a for a in self.mail.cc if a.lower() not in self.ours and a != self.mail.requester],
            created_at=self.now,
            suppress_triggers=self.suppress_triggers,
            gmail_thread_id=self.ids.thread_id,
        )
        ticket_id = uow.add_ticket(ticket)
        comment_id = self._comment(uow, ticket_id, None)
        uow.add_ledger(self.entry(Outcome.TICKET, ticket_id, comment_id), thread_id=self.ids.thread_id)
        ack = acknowledgement(self.deps, ticket, brand=self.brand, customer_message_id=self.mail.message_id,
                              references=self.mail.references, ours=self.ours, now=self.now)
        if ack is not None:
            uow.put_notification(ack)
        return Recorded(self.ids.message_id, Outcome.TICKET, ticket_id,
                        notification_id=ack.id if ack is not None else None)

    def comment(self, uow: UnitOfWork, ticket_id: int, matched_by: str | None) -> Recorded:
        # A bounce is no customer speaking: its Cc (if any) is not someone the conversation was widened to.
        joined = None if matched_by == ladder.BOUNCE else self._with_new_followers(uow, ticket_id)  # read first
        comment_id = self._comment(uow, ticket_id, matched_by)
        if joined is not None:
            uow.put_ticket(joined)
        uow.add_ledger(self.entry(Outcome.COMMENT, ticket_id, comment_id), thread_id=self.ids.thread_id)
        return Recorded(self.ids.message_id, Outcome.COMMENT, ticket_id, matched_by)

    def _with_new_followers(self, uow: UnitOfWork, ticket_id: int) -> Ticket | None:
        """The ticket with the people this reply newly Cc's appended as followers, so the agent's next reply
        reaches them too; None when nobody is new (then nothing is written). Reads only: it must run before the
        unit's first write (Firestore), and it reads the ticket only when the Cc names someone besides us and
        the sender."""
        sender = self.mail.requester.lower()
        cc = [a for a in self.mail.cc if a.lower() not in self.ours and a.lower() != sender]
        if not cc:
            return None
        ticket = uow.get_ticket(ticket_id)
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
        ticket.followers = [*ticket.followers, *new]
        return ticket

    def ignore(self, uow: UnitOfWork, ticket_id: int | None, reason: str) -> Recorded:
        uow.add_ledger(self.entry(Outcome.IGNORED, ticket_id), thread_id=self.ids.thread_id)
        return Recorded(self.ids.message_id, Outcome.IGNORED, ticket_id, reason=reason)

    def suspend(self, uow: UnitOfWork, reason: str) -> Recorded:
        uow.add_suspended(SuspendedMail(
            id=_record_id(self.connection.address, self.ids.message_id),
            connection=self.connection.address,
            gmail_message_id=self.ids.message_id,
            sender=self.mail.from_address or self.mail.requester,
            subject=self.mail.subject,
            reason=reason,
            created_at=self.now,
            raw_key=self.raw_key,
        ))
        uow.add_ledger(self.entry(Outcome.SUSPENDED), thread_id=None)
        return Recorded(self.ids.message_id, Outcome.SUSPENDED, reason=reason)


def _record_id(connection: str, gmail_message_id: str) -> str:
    return hashlib.sha256(f"{connection}:{gmail_message_id}".encode()).hexdigest()[:24]


def _quarantine(deps: Deps, connection: Connection, ids: GmailIds, raw: bytes, raw_key: str | None,
                reason: str) -> Recorded:
    now = deps.clock.now()
    record = QuarantineRecord(
        id=_record_id(connection.address, ids.message_id),
        connection=connection.address,
        reason=reason,
        raw=raw,
        source="gmail",
        gmail_message_id=ids.message_id,
        created_at=now,
    )

    def work(uow: UnitOfWork) -> Recorded:
        if uow.get_ledger(connection.address, ids.message_id) is not None:
            return Recorded(ids.message_id, None)
        entry = LedgerEntry(connection.address, ids.message_id, Outcome.QUARANTINED, created_at=now, raw_key=raw_key)
        uow.add_ledger(entry, thread_id=None)
        uow.add_quarantine(record)
        return Recorded(ids.message_id, Outcome.QUARANTINED, reason=reason)

    try:
        recorded = deps.store.atomically(work)
    except AlreadyRecorded:
        return Recorded(ids.message_id, None)
    log.warning("mail quarantined", extra={"connection": connection.address, "gmail_message_id": ids.message_id,
                                           "reason": reason})
    return recorded
