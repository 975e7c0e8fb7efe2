"""Write what was decided for one mail (domain/disposition.py), inside its unit of work: always the ledger entry,
plus at most one effect — a ticket with its description (and acknowledgement), a comment (and new followers), or
a suspended record — and the mail a brand's triggers owe for it (an acknowledgement, the assignee told of the
customer's reply). Every read the decision needed happened before, in the same unit; the two reads made here
(the acknowledgement's limits, the assignee's record) come before this unit's first write. Each customer comment
keeps the mail's Reply-To and Google's verdicts on its sender, for the console to show."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import assert_never

from gmail_tickets.domain.disposition import (
    AddComment,
    Disposition,
    Duplicate,
    Ignore,
    NewTicket,
    SameMail,
    Suspend,
    first_followers,
)
from gmail_tickets.domain.ingest_context import IngestContext
from gmail_tickets.domain.last_reply import CUSTOMER
from gmail_tickets.domain.model import Comment, LedgerEntry, Outcome, SuspendedMail, Ticket
from gmail_tickets.domain.ticket_activity import note_comment
from gmail_tickets.domain.ticket_lifecycle import customer_replied
from gmail_tickets.domain.triggers import after_customer_reply
from gmail_tickets.domain.webhooks import WebhookEvent
from gmail_tickets.ports import LedgerUnit, OutboxUnit, PeopleUnit, SetAsideUnit, TicketUnit, UnitOfWork
from gmail_tickets.services import webhook_events
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.ingest_values import KeptMail, Recorded
from gmail_tickets.services.notifications import acknowledgement, recent_automatic_mail
from gmail_tickets.services.trigger_mail import trigger_mail


def record_id(connection: str, gmail_message_id: str) -> str:
    """The id of a mail's suspended or quarantine record: a retry replaces it rather than adding another."""
    return hashlib.sha256(f"{connection}:{gmail_message_id}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class MailWriter:
    """The writes of one mail's unit of work."""

    deps: Deps
    ctx: IngestContext
    kept: KeptMail
    now: datetime
    replaces: LedgerEntry | None = None  # a recovered mail's entry (services/suspended_mail.py): rewritten, kept

    def apply(self, uow: UnitOfWork, disposition: Disposition) -> Recorded:
        gmail_id = self.kept.ids.message_id
        match disposition:
            case Duplicate():
                return Recorded(gmail_id, None)
            case NewTicket(mentions=mentions, matched_by=matched_by, follow_up_of=follow_up_of):
                return self._new_ticket(uow, mentions, matched_by, follow_up_of)
            case AddComment(ticket_id=ticket_id, matched_by=matched_by, joined=joined, ticket=read):
                active = self._assignee_active(uow, read)  # a read: before this unit's writes
                comment = self._comment(uow, ticket_id, matched_by)
                changed = joined or (dataclasses.replace(read) if read is not None else None)
                # The customer speaking reopens a pending, on-hold or solved ticket (domain/ticket_lifecycle.py),
                # moves it up the views as its last writer and marks it "customer replied" when an agent spoke
                # last (domain/ticket_activity.py, domain/last_reply.py).
                if changed is not None:
                    customer_replied(changed, self.now)
                    note_comment(changed, comment, now=self.now)
                    uow.put_ticket(changed)
                self._ledger(uow, Outcome.COMMENT, ticket_id, comment.id)
                webhook_events.emit(self.deps, uow, WebhookEvent.COMMENT_CREATED, ticket=changed, comment=comment,
                                    ticket_id=ticket_id)
                told = self._tell_assignee(uow, changed, comment, active) if changed is not None else None
                return Recorded(gmail_id, Outcome.COMMENT, ticket_id, matched_by, notification_id=told,
                                comment_id=comment.id)
            case Suspend(reason=reason):
                self._suspend(uow, reason)
                self._ledger(uow, Outcome.SUSPENDED)
                return Recorded(gmail_id, Outcome.SUSPENDED, reason=reason)
            case Ignore(ticket_id=ticket_id, reason=reason):
                self._ledger(uow, Outcome.IGNORED, ticket_id)
                return Recorded(gmail_id, Outcome.IGNORED, ticket_id, reason=reason)
            case SameMail(ticket_id=ticket_id, comment_id=comment_id, reason=reason):
                # Ignored, but never out of sight: the console lists it with the ticket and comment it copies.
                self._suspend(uow, reason, duplicate_of=(ticket_id, comment_id))
                self._ledger(uow, Outcome.IGNORED, ticket_id, comment_id)
                return Recorded(gmail_id, Outcome.IGNORED, ticket_id, reason=reason)
            case _:
                assert_never(disposition)

    def _ledger(self, uow: LedgerUnit, outcome: Outcome, ticket_id: int | None = None,
                comment_id: str | None = None, *, index_thread: bool = True) -> None:
        ids, mail = self.kept.ids, self.kept.mail
        entry = LedgerEntry(
            connection=self.ctx.address,
            gmail_message_id=ids.message_id,
            outcome=outcome,
            ticket_id=ticket_id,
            comment_id=comment_id,
            rfc_message_id=mail.message_id,
            created_at=self.replaces.created_at if self.replaces is not None else self.now,
            sender=mail.from_address or None,
            raw_key=self.kept.raw_key,
            content_hash=self.kept.content_hash,
        )
        # Suspended mail belongs to no ticket, so it indexes no Gmail thread; nor does a ticket that only
        # mentions the one whose thread it landed in (the thread stays with the ticket its people are on).
        index = index_thread and outcome != Outcome.SUSPENDED
        thread_id = (ids.thread_id or None) if index else None  # a recovered mail may not know its thread
        if self.replaces is not None:
            uow.replace_ledger(entry, thread_id=thread_id)
        else:
            uow.add_ledger(entry, thread_id=thread_id)

    def _comment(self, uow: TicketUnit, ticket_id: int, matched_by: str | None) -> Comment:
        comment = self._mail_comment(ticket_id, matched_by)
        uow.add_comment(comment)
        return comment

    def _mail_comment(self, ticket_id: int, matched_by: str | None) -> Comment:
        """The mail as a comment (not stored yet)."""
        ids, mail = self.kept.ids, self.kept.mail
        return Comment(
            ticket_id=ticket_id,
            author=mail.requester,
            body_text=mail.text_body,
            body_html=mail.html_body,
            created_at=ids.internal_date or self.now,
            connection=self.ctx.address,
            gmail_message_id=ids.message_id,
            message_id=mail.message_id,
            matched_by=matched_by,
            attachments=list(self.kept.attachments),
            reply_to=mail.reply_to,
            auth=mail.auth,
        )

    def _assignee_active(self, uow: PeopleUnit, ticket: Ticket | None) -> bool:
        """Whether the ticket's assignee is an active agent (read only when a mail to them may be owed)."""
        if ticket is None or not ticket.assignee or self.ctx.importing:
            return False
        agent = uow.get_agent(ticket.assignee)
        return agent is not None and agent.active

    def _tell_assignee(self, uow: OutboxUnit, ticket: Ticket, comment: Comment, active: bool) -> str | None:
        """The customer's mail on an assigned ticket: its assignee's mail, in this unit (domain/triggers.py)."""
        fired = after_customer_reply(ticket, comment.id, author=self.kept.mail.from_address, brand=self.ctx.brand,
                                     importing=self.ctx.importing, assignee_active=active)
        if fired is None:
            return None
        ours = self.ctx.ours | self.deps.own_addresses.among(self.deps.store, [fired.to])  # cached point read
        mail = trigger_mail(self.deps, ticket, fired, brand=self.ctx.brand, ours=ours, now=self.now,
                            comment=comment.body_text)
        if mail is None:
            return None
        uow.put_notification(mail)
        return mail.id

    def _new_ticket(self, uow: UnitOfWork, mentions: int | None, matched_by: str | None,
                    follow_up_of: int | None = None) -> Recorded:
        """A ticket for the mail; `mentions`: the ticket it answers but its sender is not on; `follow_up_of`: the
        closed ticket it answers, which stays as it is (`matched_by` found either; logged, not stored on the
        description). The ticket keeps the mail's own date apart from when it was made."""
        ctx, mail = self.ctx, self.kept.mail
        recent = None if ctx.importing else recent_automatic_mail(  # reads, so before this unit's writes
            self.deps, uow, sender=mail.from_address, account=ctx.address, now=self.now)
        ticket = Ticket(
            subject=mail.subject,
            requester=mail.requester,
            requester_name=mail.from_name,
            connection=ctx.address,
            brand_id=ctx.connection.brand_id,
            followers=first_followers(self.kept.incoming(), ctx.ours),
            created_at=self.now,
            suppress_triggers=ctx.importing,  # recorded on the ticket: it was imported, its triggers never fire
            gmail_thread_id=(self.kept.ids.thread_id or None) if mentions is None else None,  # its own thread, not #N's
            mentions=mentions,
            follow_up_of=follow_up_of,
            received_at=mail.date or self.kept.ids.internal_date,
            invalid_address=self.kept.sender_problem,
            last_reply_by=CUSTOMER,
            updated_at=self.now,
            last_author=mail.requester,
            last_author_kind="customer",
            last_activity_at=self.kept.ids.internal_date or self.now,
        )
        description = self._mail_comment(0, None)  # stored with the ticket: one write on Firestore
        ticket_id = uow.add_ticket(ticket, description)
        self._ledger(uow, Outcome.TICKET, ticket_id, description.id, index_thread=mentions is None)
        webhook_events.emit(self.deps, uow, WebhookEvent.TICKET_CREATED, ticket=ticket, comment=description)
        ack = acknowledgement(self.deps, ticket, description, sender=mail.from_address, recent=recent,
                              brand=ctx.brand, customer_message_id=mail.message_id, references=mail.references,
                              ours=ctx.ours, now=self.now)
        if ack is not None:
            uow.put_notification(ack)
        return Recorded(self.kept.ids.message_id, Outcome.TICKET, ticket_id, matched_by,
                        notification_id=ack.id if ack is not None and not ack.is_settled else None,
                        comment_id=description.id)

    def _suspend(self, uow: SetAsideUnit, reason: str, duplicate_of: tuple[int, str | None] | None = None) -> None:
        """The suspended record (its ledger entry is the caller's); with `duplicate_of` (ticket, comment), the
        record of a copy set aside, pointing at what it copies."""
        ids, mail = self.kept.ids, self.kept.mail
        ticket_id, comment_id = duplicate_of or (None, None)
        uow.add_suspended(SuspendedMail(
            id=record_id(self.ctx.address, ids.message_id),
            connection=self.ctx.address,
            gmail_message_id=ids.message_id,
            sender=mail.from_address or mail.requester,
            subject=mail.subject,
            reason=reason,
            created_at=self.now,
            raw_key=self.kept.raw_key,
            duplicate_of_ticket=ticket_id,
            duplicate_of_comment=comment_id,
            gmail_thread_id=ids.thread_id or None,
            internal_date=ids.internal_date,
        ))

