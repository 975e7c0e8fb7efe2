"""Attachment parts → AttachmentInfo with decoded bytes, a safe filename, Content-ID and the inline flag.

A forwarded mail (message/rfc822) keeps its bytes and is named from its subject; winmail.dat (TNEF) is kept as
it is and noted, since only Outlook can read it; a part with no filename is named from its type.
"""

from __future__ import annotations

import re
from email import policy
from email.generator import BytesGenerator
from email.message import Message
from io import BytesIO
from urllib.parse import unquote

from gmail_tickets.mail import filenames, parts, transfer
from gmail_tickets.mail.body import Found, where
from gmail_tickets.mail.headers import peek
from gmail_tickets.mail.inbound import AttachmentInfo
from gmail_tickets.mail.notes import Notes, label

_MESSAGE_TYPES = {"message/rfc822", "message/global"}
_TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}
_CID_URL = re.compile(r"""cid:([^"'\s<>)]+)""", re.IGNORECASE)
# Regenerate embedded messages without refolding their headers: the bytes should be the sender's, not ours.
_VERBATIM = policy.default.clone(refold_source="none", linesep="\r\n", max_line_length=None)
_FALLBACK = policy.compat32.clone(linesep="\r\n", max_line_length=None)


def referenced_cids(html_parts: list[str]) -> set[str]:
    """The Content-IDs that `cid:` URLs in the HTML point at, lower-cased (cid URLs are %-encoded, RFC 2392)."""
    return {unquote(m).strip("<>").lower() for html in html_parts for m in _CID_URL.findall(html)}


def build(found: list[Found], cids: set[str], notes: Notes) -> list[AttachmentInfo]:
    result: list[AttachmentInfo] = []
    generated: set[str] = set()
    for item in found:
        ctype = item.content_type
        data = _data(item.part, ctype, item.number, notes)
        name = _name(item, data, generated)
        if ctype in _TNEF_TYPES or name.lower() == "winmail.dat":
            notes.add(f"winmail.dat (TNEF) in {where(item.number)} kept as an attachment, not unpacked")
        cid = parts.content_id(item.part)
        inline = item.disposition == "inline" or (cid is not None and cid.lower() in cids)
        result.append(AttachmentInfo(name, ctype, len(data), cid, inline, data))
    return result


def _data(part: Message, ctype: str, number: str, notes: Notes) -> bytes:
    cte = parts.transfer_encoding(part)
    payload = part.get_payload() if part.is_multipart() else None
    if not isinstance(payload, list):
        return transfer.decode(parts.payload_bytes(part), cte, where(number), notes)
    data = b"".join(_flatten(m, notes, number) for m in payload if isinstance(m, Message))
    if ctype in _MESSAGE_TYPES and cte not in ("", "7bit", "8bit", "binary"):
        notes.add(f"{ctype} in {where(number)} is transfer-encoded ({label(cte)})")
        data = transfer.decode(data.lstrip(b"\r\n"), cte, where(number), notes)
    return data


def _flatten(msg: Message, notes: Notes, number: str) -> bytes:
    for chosen in (_VERBATIM, _FALLBACK):
        out = BytesIO()
        try:
            BytesGenerator(out, mangle_from_=False, policy=chosen).flatten(msg, unixfrom=False)
        except Exception:  # a header or structure the generator cannot write; try the older policy
            continue
        return out.getvalue()
    notes.add(f"embedded message in {where(number)} could not be re-serialized; kept empty")
    return b""


def _name(item: Found, data: bytes, generated: set[str]) -> str:
    given, ctype = filenames.clean(item.filename), item.content_type
    if ctype in _MESSAGE_TYPES:
        subject = peek(data).text("subject")
        if subject or not given:
            return filenames.for_message(subject)
    if given:
        return given
    name = filenames.unique(filenames.for_type(ctype), generated)
    generated.add(name)
    return name
