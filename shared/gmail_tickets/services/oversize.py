"""Mail too large to import: a ticket (or comment) that says so and links to the mail in Gmail.

The size is known before fetching (a `larger:` search per sync step, and the sizeEstimate Gmail reports), so a
huge mail never stalls a mailbox. Its headers (format=metadata) go through the same rules as any mail — threading,
auto-mail detection — by rebuilding a small message from them with a note as its body.
"""

from __future__ import annotations

from collections.abc import Mapping

from gmail_tickets.domain.ingest_context import IngestContext
from gmail_tickets.mail.parse import InboundEmail, ParseFailure, parse
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.ingest_values import GmailIds, KeptMail, Recorded
from gmail_tickets.services.record_mail import record_parsed

HEADERS = (
    "From", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "Return-Path",
    "Auto-Submitted", "Precedence", "List-Id", "List-Unsubscribe", "X-Autoreply", "X-Autorespond",
    "X-Auto-Response-Suppress",
)
"""What we ask Gmail for (format=metadata) about a mail we will not download."""


def gmail_link(address: str, gmail_message_id: str) -> str:
    return f"https://mail.google.com/mail/u/{address}/#all/{gmail_message_id}"


def note(size: int, limit: int, address: str, gmail_message_id: str) -> str:
    return (
        f"This mail is {size / 1_048_576:.1f} MB, above the {limit / 1_048_576:.0f} MB import limit, so its "
        f"content was not imported. Open it in Gmail: {gmail_link(address, gmail_message_id)}"
    )


def oversize_mail(
    headers: Mapping[str, str], size: int, limit: int, address: str, gmail_message_id: str
) -> InboundEmail:
    """An InboundEmail carrying the mail's own headers and a note instead of its body."""
    wanted = {h.lower() for h in HEADERS}
    lines = [f"{name}: {' '.join(str(value).split())}" for name, value in headers.items() if name.lower() in wanted]
    body = note(size, limit, address, gmail_message_id)
    raw = ("\r\n".join([*lines, "Content-Type: text/plain; charset=utf-8", "", body]) + "\r\n").encode()
    try:
        return parse(raw)
    except ParseFailure:  # no usable header at all: still a ticket, from an unknown sender
        return parse(f"Subject: (no subject)\r\n\r\n{body}\r\n".encode())


def header_block(raw: bytes, limit: int = 256 * 1024) -> dict[str, str]:
    """The headers of raw bytes we fetched but will not import (a mail found too big only after fetching)."""
    from email.parser import BytesHeaderParser
    from email.policy import compat32

    head = raw[:limit].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    parsed = BytesHeaderParser(policy=compat32).parsebytes(head + b"\r\n\r\n")
    return {name: str(value) for name, value in parsed.items()}


def record_oversize(deps: Deps, ctx: IngestContext, ids: GmailIds, headers: Mapping[str, str], size: int) -> Recorded:
    mail = oversize_mail(headers, size, deps.settings.max_message_bytes, ctx.address, ids.message_id)
    return record_parsed(deps, ctx, KeptMail(ids, mail))
