"""RFC 2047 encoded words ("=?charset?B?...?=") decoded tolerantly.

Done here rather than by the stdlib because mailers get it wrong in ways the stdlib does not forgive: mislabelled
charsets (gb2312 words holding gb18030), a multi-byte character split across two adjacent words, bad padding.
Anything that is not a complete encoded word is left as the literal text it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gmail_tickets.mail import charsets, transfer
from gmail_tickets.mail.notes import Notes

_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?]*)\?=")
_Q_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")


@dataclass
class _Encoded:
    charset: str
    data: bytes


def decode_words(value: str, where: str, notes: Notes) -> str:
    """`value` with its encoded words decoded; whitespace between adjacent encoded words dropped (RFC 2047 §6.2)."""
    if "=?" not in value:
        return value
    pieces: list[str | _Encoded] = []
    end = 0
    for match in _WORD.finditer(value):
        gap = value[end : match.start()]
        charset = match.group(1).lower()
        data = _decode_word(match.group(2), match.group(3), where, notes)
        previous = pieces[-1] if pieces else None
        adjacent = isinstance(previous, _Encoded) and not gap.strip()
        if adjacent and isinstance(previous, _Encoded) and previous.charset == charset:
            previous.data += data  # a character may have been split across the two words
        else:
            if gap and not adjacent:
                pieces.append(gap)
            pieces.append(_Encoded(charset, data))
        end = match.end()
    pieces.append(value[end:])
    return "".join(
        p if isinstance(p, str) else charsets.decode(p.data, p.charset, where, notes) for p in pieces
    )


def _decode_word(encoding: str, text: str, where: str, notes: Notes) -> bytes:
    raw = text.encode("utf-8", "surrogateescape")
    if encoding in "bB":
        data, clean = transfer.base64(raw)
        if not clean:
            notes.add(f"invalid base64 in an encoded word in {where}")
        return data
    return _Q_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw.replace(b"_", b" "))
