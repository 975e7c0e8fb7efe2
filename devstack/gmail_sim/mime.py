"""Read raw RFC 822 bytes once into what the Gmail API shows of a message.

Parsing happens once per stored message (the raw bytes never change), so messages.get only assembles
dicts that are already built: that is what keeps the simulator fast.
"""

from __future__ import annotations

import base64
import email.utils
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html import unescape
from typing import Any

_PARSER = BytesParser(policy=policy.default)
_SUBJECT_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv|antw|wg|tr|rif|r)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_MSGID = re.compile(r"<[^<>\s]+>")
_TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")
SNIPPET_CHARS = 200


def b64url(data: bytes) -> str:
    """Gmail's base64url, with padding, as it returns `raw` and `body.data`."""
    return base64.urlsafe_b64encode(data).decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Accept base64url with or without padding (and plain base64), as Gmail does for `raw`."""
    cleaned = re.sub(r"\s+", "", text).replace("+", "-").replace("/", "_").rstrip("=")
    if not re.fullmatch(r"[A-Za-z0-9_-]*", cleaned) or len(cleaned) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))


def normalize_subject(subject: str) -> str:
    """The subject Gmail compares when threading: reply/forward prefixes and whitespace don't count."""
    return _SPACE.sub(" ", _SUBJECT_PREFIX.sub("", subject or "")).strip().casefold()


def _escape_snippet(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _header_items(part: Message) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for name, raw in part.raw_items():
        try:
            value = str(part.policy.header_factory(name, raw))
        except Exception:  # a malformed header must not make the message unreadable
            value = _SPACE.sub(" ", str(raw)).strip()
        items.append((name, value))
    return items


def _text_of(part: Message) -> str:
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else None
    except (LookupError, ValueError, AssertionError):
        content = None
    if isinstance(content, str):
        return content
    data = part.get_payload(decode=True) or b""
    return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else str(data)


@dataclass
class ParsedMail:
    """What the API needs from a raw message, computed once."""

    headers: list[tuple[str, str]]
    payload: dict[str, Any]
    attachments: dict[str, bytes]
    snippet: str
    subject: str
    subject_key: str
    message_id: str
    references: list[str]
    sender: str
    to: str
    cc: str
    bcc: str
    recipients: list[str]
    filenames: list[str]
    search_text: str
    date_ms: int | None


def _addresses(values: list[str]) -> list[str]:
    return [addr.lower() for _, addr in email.utils.getaddresses(values) if addr]


def parse_mail(raw: bytes, message_id: str, inline_limit: int) -> ParsedMail:
    """Parse `raw` for the Gmail message `message_id` (attachment ids name the message and the part)."""
    msg = _PARSER.parsebytes(raw)
    attachments: dict[str, bytes] = {}
    filenames: list[str] = []
    texts: dict[str, str] = {}

    def build(part: Message, part_id: str) -> dict[str, Any]:
        ctype = part.get_content_type()
        filename = part.get_filename() or ""
        node: dict[str, Any] = {
            "partId": part_id,
            "mimeType": ctype,
            "filename": filename,
            "headers": [{"name": n, "value": v} for n, v in _header_items(part)],
        }
        if part.is_multipart() and ctype != "message/rfc822":
            node["body"] = {"size": 0}
            prefix = f"{part_id}." if part_id else ""
            node["parts"] = [build(sub, f"{prefix}{i}") for i, sub in enumerate(part.get_payload())]
            return node
        if ctype == "message/rfc822":
            inner = part.get_payload()
            data = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
        else:
            decoded = part.get_payload(decode=True)
            data = decoded if isinstance(decoded, bytes) else b""
        if filename:
            filenames.append(filename)
        if filename or len(data) > inline_limit:
            attachment_id = "ANGjdJ" + b64url(f"{message_id}:{part_id or '-'}".encode()).rstrip("=")
            attachments[attachment_id] = data
            node["body"] = {"attachmentId": attachment_id, "size": len(data)}
        else:
            node["body"] = {"size": len(data), "data": b64url(data)} if data else {"size": 0}
        if ctype in ("text/plain", "text/html") and not filename and ctype not in texts:
            texts[ctype] = _text_of(part)
        return node

    payload = build(msg, "")
    headers = _header_items(msg)
    by_name: dict[str, str] = {}
    for name, value in headers:
        by_name.setdefault(name.lower(), value)

    text = texts.get("text/plain")
    if text is None:
        text = unescape(_TAG.sub(" ", texts.get("text/html", "")))
    text = _SPACE.sub(" ", text).strip()
    subject = by_name.get("subject", "")
    to, cc, bcc = by_name.get("to", ""), by_name.get("cc", ""), by_name.get("bcc", "")
    refs = _MSGID.findall(by_name.get("references", "")) + _MSGID.findall(by_name.get("in-reply-to", ""))
    date_ms = None
    try:
        parsed_date = email.utils.parsedate_to_datetime(by_name["date"]) if "date" in by_name else None
        date_ms = int(parsed_date.timestamp() * 1000) if parsed_date else None
    except (TypeError, ValueError, IndexError):
        date_ms = None
    sender = by_name.get("from", "")
    msgid_match = _MSGID.search(by_name.get("message-id", ""))
    return ParsedMail(
        headers=headers,
        payload=payload,
        attachments=attachments,
        snippet=_escape_snippet(text[:SNIPPET_CHARS]),
        subject=subject,
        subject_key=normalize_subject(subject),
        message_id=msgid_match.group(0) if msgid_match else "",
        references=refs,
        sender=sender,
        to=to,
        cc=cc,
        bcc=bcc,
        recipients=_addresses([v for v in (to, cc, bcc) if v]),
        filenames=filenames,
        search_text=" ".join((subject, sender, to, cc, text)).casefold(),
        date_ms=date_ms,
    )


def recipients_of(raw: bytes) -> list[str]:
    """To + Cc + Bcc addresses: what the daily sending limit counts."""
    msg = _PARSER.parsebytes(raw, headersonly=True)
    return _addresses([str(v) for name in ("to", "cc", "bcc") for v in (msg.get_all(name) or [])])


def prepare_outgoing(raw: bytes, account: str, new_id: str, now: float) -> bytes:
    """What Gmail does to mail it sends: From becomes the account (no send-as aliases here),
    Message-ID and Date are added when missing. Untouched mail keeps its bytes."""
    msg = _PARSER.parsebytes(raw, headersonly=True)
    prefix: list[str] = []
    if not msg.get("message-id"):
        prefix.append(f"Message-ID: <{new_id}@mail.gmail.com>")
    if not msg.get("date"):
        prefix.append("Date: " + email.utils.formatdate(now, usegmt=True))
    senders = email.utils.getaddresses([str(v) for v in msg.get_all("from") or []])
    if not senders or any(addr.lower() != account.lower() for _, addr in senders):
        name = senders[0][0] if senders else ""
        raw = _replace_from(raw, email.utils.formataddr((name, account)))
    if not prefix:
        return raw
    eol = b"\r\n" if b"\r\n" in raw[:2000] else b"\n"
    return eol.join(p.encode() for p in prefix) + eol + raw


def _replace_from(raw: bytes, value: str) -> bytes:
    """Swap the From header line(s) (with continuation lines) without reserializing the message."""
    head_end = re.search(rb"\r?\n\r?\n", raw)
    head, rest = (raw[: head_end.start()], raw[head_end.start() :]) if head_end else (raw, b"")
    eol = b"\r\n" if b"\r\n" in head else b"\n"
    lines = re.split(rb"\r?\n", head)
    out: list[bytes] = []
    skipping = False
    for line in lines:
        if skipping and line[:1] in (b" ", b"\t"):
            continue
        skipping = line.lower().startswith(b"from:")
        if not skipping:
            out.append(line)
    out.insert(0, b"From: " + value.encode("utf-8"))
    return eol.join(out) + rest
