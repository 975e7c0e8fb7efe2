"""Keep a mail's bytes: the raw message (every mail, for replay and audit) and each attachment.

Blob writes are idempotent — the raw key is the mail's identity, attachment keys are content hashes — so they
happen before the store transaction: a crash after them only leaves a blob that the retry writes again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from gmail_tickets.domain.model import Attachment
from gmail_tickets.mail.parse import AttachmentInfo
from gmail_tickets.ports import BlobStore


def raw_key(connection: str, gmail_message_id: str) -> str:
    return f"raw/{connection.lower()}/{gmail_message_id}.eml"


def keep_raw(blobs: BlobStore, connection: str, gmail_message_id: str, raw: bytes) -> str:
    key = raw_key(connection, gmail_message_id)
    blobs.put(key, raw, "message/rfc822")
    return key


def keep_raws(blobs: BlobStore, connection: str, messages: Sequence[tuple[str, bytes]]) -> None:
    """`keep_raw` for several mails (Gmail id, bytes) at once: all durable when this returns, for one folder
    sync instead of one per mail (a sync's chunk, before any of its mails is recorded)."""
    blobs.put_many([(raw_key(connection, gmail_id), raw, "message/rfc822") for gmail_id, raw in messages])


def keep_attachments(blobs: BlobStore, attachments: Sequence[AttachmentInfo]) -> list[Attachment]:
    kept = []
    for item in attachments:
        key = "attachments/" + hashlib.sha256(item.data).hexdigest()
        blobs.put(key, item.data, item.content_type)
        kept.append(Attachment(item.filename, item.content_type, item.size, key, item.content_id, item.inline))
    return kept
