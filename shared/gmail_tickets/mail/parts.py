"""Defensive accessors for one MIME part: type, parameters, filename, disposition, Content-ID, payload bytes.

The stdlib parses these headers lazily, so a malformed Content-Type or Content-Disposition raises only when read;
each accessor here falls back to the raw header text (via the forgiving compat32 parser) instead.
"""

from __future__ import annotations

import re
from email import policy
from email.message import Message

from gmail_tickets.mail import charsets
from gmail_tickets.mail.notes import Notes
from gmail_tickets.mail.words import decode_words

_MIME_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")
_SURROGATES = re.compile("[\udc80-\udcff]")
_WINDOWS_PATH = re.compile(r'(?:^|;)\s*(?:file)?name\s*=\s*"([^"]*\\[^"]*)"', re.IGNORECASE)
_RAW_NAME = {
    "content-disposition": re.compile(r'(?:^|;)\s*filename\s*=\s*(?:"([^"]*)"|([^;]+))', re.IGNORECASE),
    "content-type": re.compile(r'(?:^|;)\s*name\s*=\s*(?:"([^"]*)"|([^;]+))', re.IGNORECASE),
}


def raw_header(part: Message, name: str) -> str:
    """The part's first raw header `name`, unfolded ("" if absent)."""
    for key, value in part.raw_items():
        if str(key).strip().lower() == name:
            return " ".join(str(value).split())
    return ""


def content_type(part: Message) -> str:
    """maintype/subtype, lower-case; the RFC 2045 default for a missing or unreadable type."""
    try:
        value = part.get_content_type()
    except Exception:
        value = raw_header(part, "content-type").split(";", 1)[0].strip().lower()
    if _MIME_TYPE.fullmatch(value):
        return value
    return part.get_default_type() if _default_ok(part) else "text/plain"


def param(part: Message, name: str, header: str = "content-type") -> str | None:
    """A header parameter with RFC 2231/2047 decoding; None if absent."""
    try:
        value = part.get_param(name, None, header)
    except Exception:
        try:
            value = _compat(part, header).get_param(name, None, header)
        except Exception:  # not even the forgiving parser reads it: as if absent
            value = None
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231 (charset, language, text) the stdlib could not decode itself
        value = _rfc2231(value)
    return _clean(str(value))


def filename(part: Message) -> str:
    """The part's filename as the sender gave it (not yet made safe), "" if none."""
    for header in ("content-disposition", "content-type"):
        windows_path = _WINDOWS_PATH.search(raw_header(part, header))
        if windows_path:  # unescaped backslashes, which RFC quoting would silently drop: keep the last component
            return _clean(windows_path.group(1).rsplit("\\", 1)[-1])
    try:
        value = part.get_filename()
    except Exception:
        try:
            value = _compat(part, "content-disposition", "content-type").get_filename()
        except Exception:
            value = None
    if value and "\ufffd" in str(value):  # the stdlib replaced raw 8-bit bytes: read them from the raw header
        value = _raw_filename(part) or value
    return _clean(str(value)) if value else ""


def _raw_filename(part: Message) -> str | None:
    """A filename given as raw 8-bit bytes, decoded as header bytes are (UTF-8, the part's charset, detected)."""
    for header, pattern in _RAW_NAME.items():
        found = pattern.search(raw_header(part, header))
        value = (found.group(1) or found.group(2) or "").strip() if found else ""
        if _SURROGATES.search(value):
            data = value.encode("utf-8", "surrogateescape")
            return charsets.decode_header_bytes(data, param(part, "charset"), "a filename", Notes())
    return None


def disposition(part: Message) -> str | None:
    """'inline', 'attachment' or None."""
    try:
        value = part.get_content_disposition()
    except Exception:
        value = raw_header(part, "content-disposition").split(";", 1)[0].strip().lower() or None
    return value if value in ("inline", "attachment") else None


def content_id(part: Message) -> str | None:
    """The Content-ID without angle brackets or whitespace; None if absent."""
    value = "".join(raw_header(part, "content-id").split()).strip("<>")
    return charsets.scrub(value) or None


def transfer_encoding(part: Message) -> str:
    return raw_header(part, "content-transfer-encoding").lower() or "7bit"


def payload_bytes(part: Message) -> bytes:
    """The part's body exactly as it was in the mail, before transfer decoding.

    Read from `_payload` because `get_payload()` silently re-decodes 8-bit bodies with replacement characters.
    """
    payload = getattr(part, "_payload", None)
    if isinstance(payload, bytes):
        return payload
    if not isinstance(payload, str):
        return b""
    return payload.encode("utf-8", "surrogateescape")


def _default_ok(part: Message) -> bool:
    try:
        return bool(_MIME_TYPE.fullmatch(part.get_default_type()))
    except Exception:  # pragma: no cover - get_default_type returns an attribute
        return False


def _compat(part: Message, *names: str) -> Message:
    """A compat32 copy of the part's given headers: that parser splits parameters without validating them."""
    copy = Message(policy=policy.compat32)
    for name in names:
        value = raw_header(part, name)
        if value:
            copy[name] = value
    return copy


def _rfc2231(value: tuple[str | None, str | None, str]) -> str:
    charset, _language, text = value
    data = text.encode("latin-1", "replace")
    return charsets.decode(data, charset, "a parameter", Notes())


def _clean(value: str) -> str:
    if _SURROGATES.search(value):
        value = charsets.decode(value.encode("utf-8", "surrogateescape"), None, "a parameter", Notes())
    if "=?" in value:
        value = decode_words(value, "a parameter", Notes())
    return charsets.scrub(value).strip()
