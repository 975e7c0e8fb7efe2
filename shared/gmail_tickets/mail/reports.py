"""Delivery reports (bounces): recognise them and find which of our mails bounced.

A bounce must be attached to the ticket of the original mail, never open a ticket of its own, so ingestion needs
`is_delivery_report` and the original's Message-ID. RFC 3464 reports say so in their Content-Type and carry the
original (or its headers) as a part; older MTAs (qmail, Exchange NDRs) send plain text from MAILER-DAEMON with a
copy of the original's headers in the body.
"""

from __future__ import annotations

import re

from gmail_tickets.domain.auto_mail_signs import is_bounce_subject
from gmail_tickets.mail.headers import peek
from gmail_tickets.mail.inbound import AttachmentInfo

_STATUS_TYPES = {"message/delivery-status", "message/global-delivery-status"}
_ORIGINAL_TYPES = ("message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers")
_DAEMON = re.compile(r"^(?:mailer-daemon|mailer_daemon|mail-daemon|mailerdaemon|postmaster)@", re.IGNORECASE)
_QUOTED_ID = re.compile(r"^[ \t>]*Message-ID:[ \t]*<([^<>\s]+)>", re.IGNORECASE | re.MULTILINE)


def is_delivery_report(
    content_type: str,
    report_type: str | None,
    sender: str,
    return_path: str | None,
    subject: str,
    attachments: list[AttachmentInfo],
) -> bool:
    if content_type == "multipart/report" and (report_type or "").strip().lower() == "delivery-status":
        return True
    if any(a.content_type in _STATUS_TYPES for a in attachments):
        return True
    null_sender = return_path is not None and "".join(return_path.split()) in ("<>", "")
    from_daemon = bool(_DAEMON.match(sender)) or null_sender
    return from_daemon and is_bounce_subject(subject)


def original_message_id(attachments: list[AttachmentInfo], text_body: str) -> str | None:
    """From the report's copy of the original (message/rfc822 or text/rfc822-headers), else a quoted header line."""
    for attachment in attachments:
        if attachment.content_type in _ORIGINAL_TYPES:
            found = peek(attachment.data).message_id("message-id")
            if found:
                return found
    match = _QUOTED_ID.search(text_body)
    return match.group(1) if match else None
