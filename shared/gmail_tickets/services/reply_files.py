"""The files an agent adds to a reply or note, from the console's form or the API's uploads: the same limits, the
same names and types, kept in the BlobStore exactly as inbound attachments are (content-addressed, so the same
file twice is one blob). A reply with files is mailed through the relay (services/send_notification.py)."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Collection, Sequence

from gmail_tickets.domain.model import Attachment
from gmail_tickets.domain.said import said
from gmail_tickets.mail import filenames
from gmail_tickets.mail.parse import AttachmentInfo
from gmail_tickets.ports import BlobStore
from gmail_tickets.services.agent_reply import ReplyRefused
from gmail_tickets.services.mail_blobs import keep_attachments

MAX_REPLY_FILES = 10
MAX_REPLY_BYTES = 10 * 1024 * 1024
"""Files on one reply. Base64 grows them by a third in the mail: 10 MB of files is a ~14 MB message, which the
relay's own size limit must allow."""
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_TYPES = mimetypes.MimeTypes()  # built-in table only: the same guess on every machine


class FilesRefused(ReplyRefused):
    """The attached files break a limit; nothing was stored."""


def check_count(count: int) -> None:
    if count > MAX_REPLY_FILES:
        raise FilesRefused(said("You chose %(count)s files; a reply can carry at most %(most)s.", count=count,
                                most=MAX_REPLY_FILES))


def check_total(total: int) -> None:
    if total > MAX_REPLY_BYTES:
        raise FilesRefused(said("The files come to more than %(mb)s MB; a reply can carry at most %(mb)s MB of "
                                "files in all.", mb=MAX_REPLY_BYTES // (1024 * 1024)))


def content_type(declared: str | None, filename: str) -> str:
    """The sender's type when it is a plain type/subtype, else a guess from the name, else octet-stream."""
    declared = (declared or "").strip().lower()
    if _CONTENT_TYPE.match(declared) and declared != "application/octet-stream":
        return declared
    guessed, _ = _TYPES.guess_type(filename, strict=False)
    return guessed or "application/octet-stream"


def file_info(filename: str, declared_type: str | None, data: bytes, taken: Collection[str] = ()) -> AttachmentInfo:
    """One file as an attachment: its name cleaned like a sender's (no path, no control or bidi characters),
    unique among `taken` (the reply's other files), or made from its type."""
    kind = content_type(declared_type, filename)
    name = filenames.unique(filenames.clean(filename) or filenames.for_type(kind), set(taken))
    return AttachmentInfo(filename=name, content_type=kind, size=len(data), data=data)


def keep_files(blobs: BlobStore, files: Sequence[AttachmentInfo]) -> list[Attachment]:
    return keep_attachments(blobs, files)
