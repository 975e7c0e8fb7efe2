"""Content-Transfer-Encoding decoding that decodes what it can instead of failing or silently dropping data.

Broken base64 (stray characters, missing or inner padding, truncation) and quoted-printable (bad escapes) are common
in real mail; each is decoded leniently and noted.
"""

from __future__ import annotations

import binascii
import re

from gmail_tickets.mail.notes import Notes, label

_B64_LINE = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_B64_CLEAN = re.compile(rb"[A-Za-z0-9+/\r\n]*={0,2}[\r\n \t]*")
_B64_NOT_ALPHABET = re.compile(rb"[^A-Za-z0-9+/=]")
_PADDING = re.compile(rb"=+")
_WHITESPACE = re.compile(rb"\s+")
_QP_BAD_ESCAPE = re.compile(rb"=(?![0-9A-Fa-f]{2}|\r?\n|\r|$)")
_QP_TRAILING_SPACE = re.compile(rb"[ \t]+(?=\r?\n|\r|$)")
_IDENTITY = {"", "7bit", "8bit", "binary", "7-bit", "8-bit", "8bits", "7bits", "none"}
_BASE64 = {"base64", "base-64", "b"}
_QP = {"quoted-printable", "quoted_printable", "qp", "q"}
_UU = {"x-uuencode", "uuencode", "x-uue", "uue"}


def decode(data: bytes, cte: str, where: str, notes: Notes) -> bytes:
    """Undo the transfer encoding `cte` (as declared, any case); unknown encodings keep the bytes as they are."""
    name = cte.strip().strip("\"'").lower()
    if name in _IDENTITY:
        return data
    if name in _BASE64:
        decoded, clean = base64(data)
        if not clean:
            notes.add(f"invalid base64 in {where}; decoded what could be")
        return decoded
    if name in _QP:
        decoded, clean = quoted_printable(data)
        if not clean:
            notes.add(f"invalid quoted-printable in {where}; bad escapes kept as they are")
        return decoded
    if name in _UU:
        decoded, clean = uudecode(data)
        if not clean:
            notes.add(f"invalid uuencode in {where}; decoded what could be")
        return decoded
    notes.add(f"unknown transfer encoding {label(cte)} in {where}; kept as it is")
    return data


def base64(data: bytes) -> tuple[bytes, bool]:
    """Lenient base64: stray characters dropped, lines of plain text skipped, each padded block decoded on its own,
    a dangling sextet ignored. Data with no base64 line at all is returned as it is."""
    if _B64_CLEAN.fullmatch(data):  # the usual case, in C: a large attachment should not take a Python loop
        try:
            return binascii.a2b_base64(data), True
        except binascii.Error:
            pass
    letters = bytearray()
    clean = True
    used = False
    for line in data.splitlines():
        line = line.strip()
        if not line:
            continue
        if _B64_LINE.fullmatch(line):
            letters += line
            used = True
            continue
        clean = False
        kept = _B64_NOT_ALPHABET.sub(b"", line)
        if _WHITESPACE.search(line) or len(line) - len(kept) > max(2, len(line) // 10):
            continue  # a line of text (a footer, a mislabelled body), not base64 with a stray byte
        letters += kept
        used = True
    if not used:
        return data, not data.strip()
    blocks = [b for b in _PADDING.split(bytes(letters)) if b]
    if len(blocks) > 1:
        clean = False
    out = bytearray()
    for block in blocks:
        if len(block) % 4 == 1:
            block = block[:-1]
            clean = False
        out += binascii.a2b_base64(block + b"=" * (-len(block) % 4))
    return bytes(out), clean


def quoted_printable(data: bytes) -> tuple[bytes, bool]:
    """Lenient quoted-printable: soft breaks and =XX escapes decoded, anything else kept literally."""
    clean = not _QP_BAD_ESCAPE.search(data)
    return binascii.a2b_qp(_QP_TRAILING_SPACE.sub(b"", data)), clean


def uudecode(data: bytes) -> tuple[bytes, bool]:
    """uuencode body (begin/end lines optional); a line that does not decode is skipped."""
    out = bytearray()
    clean = True
    started = False
    for line in data.splitlines():
        stripped = line.strip()
        if not started and stripped.startswith(b"begin"):
            started = True
            continue
        if stripped == b"end":
            break
        if not stripped or stripped == b"`":
            continue
        try:
            out += binascii.a2b_uu(stripped)
        except binascii.Error:
            try:  # some encoders pad lines wrongly; decode the length the count byte announces
                out += binascii.a2b_uu(stripped[: (((stripped[0] - 32) & 63) * 4 + 5) // 3])
            except binascii.Error:
                clean = False
    return bytes(out), clean
