"""Raw RFC 822 bytes → InboundEmail, without ever letting one odd header or part sink a mail.

repair.py mends junk before the headers and broken header folds; the stdlib `email` package (policy.default, its
header objects kept per value: read_policy.py) parses the structure; the modules beside this one read it defensively:
headers.py (raw-text fallbacks; the sender read strictly by sender.py), authentication.py (Google's
Authentication-Results stamp → verdicts on the sender), charsets.py and words.py (mislabelled and undeclared
charsets), transfer.py (broken base64 and quoted-printable), body.py (which parts are the body), attachments.py,
sanitize.py (the HTML agents see), reports.py (bounces) and quotes.py (the new part of a reply, a view only). What
was odd is listed in `problems`. Only input that is not a mail at all raises, and only `ParseFailure`.
"""

from __future__ import annotations

import email
import hashlib
from email.message import Message
from email.parser import BytesParser

from gmail_tickets.mail import attachments as attachment_parts
from gmail_tickets.mail import body, parts, repair, reports, sanitize
from gmail_tickets.mail.authentication import sender_auth
from gmail_tickets.mail.headers import HeaderTable
from gmail_tickets.mail.inbound import NO_SUBJECT, UNKNOWN_SENDER, AttachmentInfo, InboundEmail, ParseFailure
from gmail_tickets.mail.notes import Notes
from gmail_tickets.mail.quotes import new_part
from gmail_tickets.mail.read_policy import READ_POLICY

__all__ = [
    "NO_SUBJECT",
    "UNKNOWN_SENDER",
    "AttachmentInfo",
    "InboundEmail",
    "ParseFailure",
    "new_part",
    "parse",
]


def parse(raw: bytes) -> InboundEmail:
    """Parse raw bytes. Raises only for input that is not a mail at all (see `ParseFailure`)."""
    raw = bytes(raw)
    if not raw.strip():
        raise ParseFailure("empty message")
    notes = Notes()
    msg = _read(repair.mend(raw, notes), notes)
    table = HeaderTable(msg, notes, lambda: parts.param(msg, "charset"))
    if not table:
        raise ParseFailure("no headers found")
    walked = body.walk(msg, notes)
    found = attachment_parts.build(walked.attachments, attachment_parts.referenced_cids(walked.html), notes)
    from_name, from_address = table.mailbox("from")
    if not from_address:  # unknown sender: the header's text is shown as a name, never used as an address
        from_name = table.text("from")
    subject = table.text("subject") or NO_SUBJECT
    content_type = walked.content_type
    is_report = reports.is_delivery_report(
        content_type,
        parts.param(msg, "report-type") if content_type == "multipart/report" else None,
        from_address,
        table.raw.get("return-path"),
        subject,
        found,
    )
    return InboundEmail(
        from_address=from_address,
        from_name=from_name,
        reply_to=table.mailbox("reply-to")[1] or None,
        to=[addr for _name, addr in table.addresses("to")],
        cc=[addr for _name, addr in table.addresses("cc")],
        subject=subject,
        date=table.date(),
        message_id=_message_id(table, raw, notes),
        in_reply_to=table.message_id("in-reply-to"),
        references=table.message_ids("references"),
        text_body=walked.text,
        attachments=found,
        headers=table.all_text(),
        html_body=_html(walked.html, notes),
        content_type=content_type,
        is_delivery_report=is_report,
        original_message_id=reports.original_message_id(found, walked.text) if is_report else None,
        auth=sender_auth(_all_raw(msg, "authentication-results"), from_address, notes),
        problems=notes.as_list(),
    )


def _all_raw(msg: Message, name: str) -> list[str]:
    """Every raw value of one header, topmost first (HeaderTable keeps only the first)."""
    try:
        return [str(v) for k, v in msg.raw_items() if str(k).strip().lower() == name]
    except Exception:  # pragma: no cover - raw_items only copies a list
        return []


def _read(raw: bytes, notes: Notes) -> Message:
    """The parsed message; if the structure defeats the parser (say, nesting past the recursion limit), the
    headers alone with the rest as one text body."""
    try:
        return email.message_from_bytes(raw, policy=READ_POLICY)
    except Exception:
        notes.add("MIME structure could not be parsed; body read as plain text")
    try:
        return BytesParser(policy=READ_POLICY).parsebytes(raw, headersonly=True)
    except Exception as exc:  # pragma: no cover - the header-only parse only splits lines
        raise ParseFailure("unreadable message") from exc


def _message_id(table: HeaderTable, raw: bytes, notes: Notes) -> str:
    found = table.message_id("message-id")
    if found:
        return found
    notes.add("no Message-ID; one derived from the content")
    return derived_message_id(raw)


def derived_message_id(raw: bytes) -> str:
    """A stable id for a mail that has none, so the same bytes always dedupe to the same ticket."""
    return f"{hashlib.sha256(raw).hexdigest()[:32]}@derived.gmail-tickets"


def _html(html_parts: list[str], notes: Notes) -> str | None:
    if not html_parts:
        return None
    cleaned = sanitize.sanitize("\n".join(html_parts))
    for problem in cleaned.problems:
        notes.add(problem)
    return cleaned.html if cleaned.html.strip() else None
