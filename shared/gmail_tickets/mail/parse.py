"""Raw RFC 822 bytes → InboundEmail, without ever letting one odd header sink a mail.

The stdlib `email` package with policy.default does the parsing. Every header is read defensively: when the
structured parse of a header fails, its raw text (RFC 2047 words decoded where possible) is used instead. A body
part with an unknown or wrong charset is decoded with replacement characters rather than dropped.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from gmail_tickets.mail.html_text import html_to_text

_MSGID = re.compile(r"<([^<>\s]+)>")


@dataclass(frozen=True)
class AttachmentInfo:
    filename: str
    content_type: str
    size: int


@dataclass
class InboundEmail:
    """What the help desk needs from one inbound mail. Addresses are lower-cased bare addresses."""

    from_address: str
    from_name: str
    reply_to: str | None
    to: list[str]
    cc: list[str]
    subject: str
    date: datetime | None
    message_id: str  # without angle brackets; derived from the content when the mail has none
    in_reply_to: str | None
    references: list[str]
    text_body: str
    attachments: list[AttachmentInfo] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # first value of each header, lower-cased names

    @property
    def requester(self) -> str:
        return self.reply_to or self.from_address


def parse(raw: bytes) -> InboundEmail:
    """Parse raw bytes. Raises only for input that is not a mail at all (see `ParseFailure`)."""
    if not raw or not raw.strip():
        raise ParseFailure("empty message")
    msg = email.message_from_bytes(raw, policy=policy.default)
    if not isinstance(msg, EmailMessage):  # pragma: no cover - policy.default always gives EmailMessage
        raise ParseFailure("not a mail message")
    headers = {name.lower(): _header(msg, name) for name in dict.fromkeys(msg.keys())}
    if not headers:
        raise ParseFailure("no headers found")
    from_name, from_address = _first_address(_header(msg, "from"))
    reply_to = _first_address(_header(msg, "reply-to"))[1] or None
    message_id = _first_msgid(_header(msg, "message-id")) or _derived_message_id(raw)
    text, attachments = _body_and_attachments(msg)
    return InboundEmail(
        from_address=from_address,
        from_name=from_name,
        reply_to=reply_to,
        to=_addresses(_header(msg, "to")),
        cc=_addresses(_header(msg, "cc")),
        subject=_header(msg, "subject").strip() or "(no subject)",
        date=_date(_header(msg, "date")),
        message_id=message_id,
        in_reply_to=_first_msgid(_header(msg, "in-reply-to")),
        references=_MSGID.findall(_header(msg, "references")),
        text_body=text,
        attachments=attachments,
        headers=headers,
    )


class ParseFailure(ValueError):
    """The bytes are not a mail we can read at all; the caller quarantines them with their raw bytes."""


def _header(msg: EmailMessage, name: str) -> str:
    """The header's text, unfolded. Falls back to the raw value when the structured parse fails."""
    try:
        value = msg.get(name)
        return " ".join(str(value).split()) if value is not None else ""
    except Exception:  # any defect in a structured header: use its raw text instead
        for key, raw_value in msg.raw_items():
            if key.lower() == name.lower():
                return " ".join(_decode_words(str(raw_value)).split())
        return ""


def _decode_words(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


def _addresses(value: str) -> list[str]:
    found = []
    for _name, addr in getaddresses([value.replace(";", ",")]):
        addr = addr.strip().lower()
        if "@" in addr and addr not in found:
            found.append(addr)
    return found


def _first_address(value: str) -> tuple[str, str]:
    name, addr = parseaddr(value)
    addr = addr.strip().lower()
    if "@" not in addr:
        addrs = _addresses(value)
        addr = addrs[0] if addrs else ""
    return name.strip(), addr


def _first_msgid(value: str) -> str | None:
    match = _MSGID.search(value)
    if match:
        return match.group(1)
    bare = value.strip()
    return bare if bare and " " not in bare else None


def _derived_message_id(raw: bytes) -> str:
    """A stable id for a mail that has none, so the same bytes always dedupe to the same ticket."""
    return f"{hashlib.sha256(raw).hexdigest()[:32]}@derived.gmail-tickets"


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _part_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
        return content if isinstance(content, str) else content.decode("utf-8", "replace")
    except Exception:  # unknown charset, bad transfer encoding: decode what we can
        payload = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "utf-8"
        try:
            return payload.decode(charset, "replace")
        except LookupError:
            return payload.decode("utf-8", "replace")


def _body_and_attachments(msg: EmailMessage) -> tuple[str, list[AttachmentInfo]]:
    text = ""
    try:
        body = msg.get_body(preferencelist=("plain", "html"))
    except Exception:
        body = None
    if body is not None:
        text = _part_text(body)
        if body.get_content_type() == "text/html":
            text = html_to_text(text)
    elif not msg.is_multipart():
        text = _part_text(msg)
    attachments: list[AttachmentInfo] = []
    try:
        parts = list(msg.iter_attachments()) if msg.is_multipart() else []
    except Exception:
        parts = []
    for part in parts:
        payload = part.get_payload(decode=True)
        attachments.append(
            AttachmentInfo(
                filename=part.get_filename() or "attachment",
                content_type=part.get_content_type(),
                size=len(payload) if isinstance(payload, bytes) else 0,
            )
        )
    return text.strip(), attachments
