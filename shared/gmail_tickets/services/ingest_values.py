"""The values the ingest path hands from step to step: where a mail sits in Gmail, the mail as kept, and what
became of it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from gmail_tickets.domain.mail_address import checked_address
from gmail_tickets.domain.model import Attachment, Outcome
from gmail_tickets.domain.same_mail import content_hash
from gmail_tickets.domain.thread_rules import Incoming
from gmail_tickets.mail.parse import InboundEmail


@dataclass(frozen=True)
class GmailIds:
    """Where a mail sits in Gmail: enough to record it without its bytes."""

    message_id: str
    thread_id: str
    internal_date: datetime | None


@dataclass(frozen=True)
class KeptMail:
    """A parsed mail whose bytes are kept: its Gmail ids, the parse, the stored attachments and raw key (None for
    a mail too big to download)."""

    ids: GmailIds
    mail: InboundEmail
    attachments: tuple[Attachment, ...] = ()
    raw_key: str | None = None

    def with_checked_sender(self) -> KeptMail:
        """The mail with its From address as mail can go to it (`ana@Example.com.` → `ana@example.com`), so the
        ticket, the ledger's sender and the threading all use that one spelling; as written when it cannot be
        repaired (the new ticket is then marked: `sender_problem`)."""
        address = self.mail.from_address
        checked = checked_address(address) if address else None
        if checked is None or not checked.usable or checked.address == address:
            return self
        return dataclasses.replace(self, mail=dataclasses.replace(self.mail, from_address=checked.address))

    @property
    def sender_problem(self) -> str | None:
        """Why no mail can go to the From address; None when it can, or when there is none."""
        address = self.mail.from_address
        return checked_address(address).problem if address else None

    @cached_property
    def content_hash(self) -> str:
        """What tells this mail from another reusing its Message-ID (domain/same_mail.py)."""
        mail = self.mail
        files = (a.blob_key or f"{a.filename}:{a.size}" for a in self.attachments)
        return content_hash(date=mail.date, subject=mail.subject, text=mail.text_body, html=mail.html_body,
                            attachments=files)

    def incoming(self) -> Incoming:
        """What the decision reads of it."""
        mail = self.mail
        return Incoming(
            message_id=mail.message_id, gmail_thread_id=self.ids.thread_id, in_reply_to=mail.in_reply_to,
            references=tuple(mail.references), subject=mail.subject, requester=mail.requester,
            from_address=mail.from_address, cc=tuple(mail.cc), original_message_id=mail.original_message_id,
            authenticated=mail.authenticated, possible_spoof=mail.possible_spoof,
            gmail_message_id=self.ids.message_id, content_hash=self.content_hash,
        )


@dataclass(frozen=True)
class Recorded:
    """What became of a mail. `outcome` is None when the ledger already had it (a duplicate avoided)."""

    gmail_message_id: str
    outcome: Outcome | None
    ticket_id: int | None = None
    matched_by: str | None = None
    reason: str | None = None
    notification_id: str | None = None  # the mail it owes: a new ticket's acknowledgement, an assignee's notice
    comment_id: str | None = None  # the comment it became (a ticket's description, or a comment on one)
