"""Is a mail whose Message-ID we already stored the SAME mail (it reached another connected inbox, or Gmail gave
it to us twice), or a different mail that merely reuses the Message-ID?

A Message-ID is chosen by the sender's software, and some reuse one (broken clients, templates, spam): trusting
it alone silently dropped distinct mail. So a stored mail is the same one only when it is the very same Gmail
message, or has the same sender, date and content (a hash kept on the ledger entry, so the check needs no blob
read). A ledger entry from before the hash was kept is compared by sender alone, as the best it can tell.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from gmail_tickets.domain.model import LedgerEntry

SAME_MAIL_REASON = "a copy of a mail already recorded (same Message-ID, sender, date and content)"


def content_hash(*, date: datetime | None, subject: str, text: str, html: str | None,
                 attachments: Iterable[str] = ()) -> str:
    """A digest of what a reader sees of a mail: its date, subject, bodies and attachments (by content key).
    Headers that differ per inbox (Delivered-To, Received, Authentication-Results) are left out on purpose."""
    digest = hashlib.sha256()
    for part in (date.isoformat() if date else "", subject, text, html or "", *sorted(attachments)):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


@dataclass(frozen=True)
class MailIdentity:
    """What tells two mails with one Message-ID apart."""

    gmail_message_id: str
    sender: str  # the From mailbox, lower-cased; "" when unknown
    content_hash: str | None


def is_same_mail(stored: LedgerEntry, mail: MailIdentity) -> bool:
    if stored.gmail_message_id == mail.gmail_message_id:
        return True
    if (stored.sender or "").lower() != mail.sender.lower():
        return False
    if stored.content_hash is None:  # recorded before hashes were kept: the sender is all that can be compared
        return True
    return stored.content_hash == mail.content_hash


def original_of(stored: Sequence[LedgerEntry], mail: MailIdentity) -> LedgerEntry | None:
    """The first stored entry (oldest first) that is this very mail, or None: then it is a mail of its own."""
    return next((entry for entry in stored if is_same_mail(entry, mail)), None)
