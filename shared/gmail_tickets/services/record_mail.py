"""Turn one fetched mail into exactly one effect: a ticket, a comment, or a quarantine record.

The ledger entry and its effect are written in ONE transaction, and the ledger entry is create-if-absent. A second
attempt at the same mail (redelivery, a racing sweep, a rerun after a crash) finds the entry, or loses the create
at commit, and changes nothing: that is the exactly-once guarantee.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from gmail_tickets.domain import threading as ladder
from gmail_tickets.domain.model import (
    Attachment,
    Comment,
    Connection,
    LedgerEntry,
    Outcome,
    QuarantineRecord,
    Ticket,
)
from gmail_tickets.errors import AlreadyRecorded
from gmail_tickets.mail.parse import InboundEmail, ParseFailure, parse
from gmail_tickets.ports import RawMessage, Store, UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recorded:
    """What became of a mail. `outcome` is None when the ledger already had it (a duplicate avoided)."""

    gmail_message_id: str
    outcome: Outcome | None
    ticket_id: int | None = None
    matched_by: str | None = None


def record_mail(
    store: Store,
    connection: Connection,
    message: RawMessage,
    now: datetime,
    *,
    suppress_triggers: bool = False,
) -> Recorded:
    try:
        mail = parse(message.raw)
    except ParseFailure as exc:
        return _quarantine(store, connection, message, now, f"unparseable: {exc}")
    except Exception as exc:  # a parser bug must not sink the mail either: keep the bytes, say why
        return _quarantine(store, connection, message, now, f"parser error: {type(exc).__name__}")

    def work(uow: UnitOfWork) -> Recorded:
        if uow.get_ledger(connection.address, message.id) is not None:
            return Recorded(message.id, None)
        ticket_id, matched_by = _find_ticket(uow, connection.address, message.thread_id, mail)
        if matched_by == ladder.SAME_MESSAGE:
            # The same mail already reached us through another connected inbox: one ticket, not two.
            entry = _entry(connection, message, Outcome.IGNORED, now, mail, ticket_id)
            uow.add_ledger(entry, thread_id=message.thread_id)
            return Recorded(message.id, Outcome.IGNORED, ticket_id, matched_by)
        if ticket_id is not None:
            comment = _comment(connection, message, mail, ticket_id, now, matched_by)
            comment_id = uow.add_comment(comment)
            uow.add_ledger(
                _entry(connection, message, Outcome.COMMENT, now, mail, ticket_id, comment_id),
                thread_id=message.thread_id,
            )
            return Recorded(message.id, Outcome.COMMENT, ticket_id, matched_by)
        ticket = Ticket(
            subject=mail.subject,
            requester=mail.requester or "unknown sender",
            requester_name=mail.from_name,
            connection=connection.address,
            brand_id=connection.brand_id,
            followers=[a for a in mail.cc if a != connection.address],
            created_at=now,
            suppress_triggers=suppress_triggers,
        )
        new_id = uow.add_ticket(ticket)
        comment_id = uow.add_comment(_comment(connection, message, mail, new_id, now, None))
        uow.add_ledger(
            _entry(connection, message, Outcome.TICKET, now, mail, new_id, comment_id), thread_id=message.thread_id
        )
        return Recorded(message.id, Outcome.TICKET, new_id)

    try:
        return store.atomically(work)
    except AlreadyRecorded:
        return Recorded(message.id, None)


def _find_ticket(
    uow: UnitOfWork, connection: str, thread_id: str, mail: InboundEmail
) -> tuple[int | None, str | None]:
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
    return None, None


def _comment(
    connection: Connection,
    message: RawMessage,
    mail: InboundEmail,
    ticket_id: int,
    now: datetime,
    matched_by: str | None,
) -> Comment:
    return Comment(
        ticket_id=ticket_id,
        author=mail.requester or "unknown sender",
        body_text=mail.text_body,
        created_at=message.internal_date or now,
        connection=connection.address,
        gmail_message_id=message.id,
        message_id=mail.message_id,
        matched_by=matched_by,
        attachments=[Attachment(a.filename, a.content_type, a.size) for a in mail.attachments],
    )


def _entry(
    connection: Connection,
    message: RawMessage,
    outcome: Outcome,
    now: datetime,
    mail: InboundEmail | None = None,
    ticket_id: int | None = None,
    comment_id: str | None = None,
) -> LedgerEntry:
    return LedgerEntry(
        connection=connection.address,
        gmail_message_id=message.id,
        outcome=outcome,
        ticket_id=ticket_id,
        comment_id=comment_id,
        rfc_message_id=mail.message_id if mail else None,
        created_at=now,
    )


def _quarantine(store: Store, connection: Connection, message: RawMessage, now: datetime, reason: str) -> Recorded:
    log.warning("mail quarantined", extra={"connection": connection.address, "gmail_message_id": message.id,
                                           "reason": reason})
    record = QuarantineRecord(
        id=hashlib.sha256(f"{connection.address}:{message.id}".encode()).hexdigest()[:24],
        connection=connection.address,
        reason=reason,
        raw=message.raw,
        source="gmail",
        gmail_message_id=message.id,
        created_at=now,
    )

    def work(uow: UnitOfWork) -> Recorded:
        if uow.get_ledger(connection.address, message.id) is not None:
            return Recorded(message.id, None)
        uow.add_ledger(_entry(connection, message, Outcome.QUARANTINED, now), thread_id=message.thread_id)
        uow.add_quarantine(record)
        return Recorded(message.id, Outcome.QUARANTINED)

    try:
        return store.atomically(work)
    except AlreadyRecorded:
        return Recorded(message.id, None)
