"""Splitting multipart bodies (batch requests, multipart/related uploads) without touching part bytes.

The email package would re-encode a message/rfc822 part; uploads must store exactly the bytes sent.
"""

from __future__ import annotations

import re
from email.parser import HeaderParser

from .errors import bad_request

_HEAD_END = re.compile(rb"\r?\n\r?\n")


def boundary_of(content_type: str) -> str:
    match = re.search(r'boundary="?([^";]+)"?', content_type or "", re.IGNORECASE)
    if not match:
        raise bad_request("Missing multipart boundary")
    return match.group(1)


def split_parts(body: bytes, boundary: str) -> list[tuple[dict[str, str], bytes]]:
    """[(lower-case headers, body bytes)] for each part; the CRLF/LF before each delimiter is dropped."""
    delimiter = b"--" + boundary.encode()
    chunks = re.split(rb"(?:\r?\n)?" + re.escape(delimiter), body)
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk[1:] if chunk.startswith(b"\n") else chunk
        headers, content = split_head(chunk)
        parts.append((headers, content))
    return parts


def split_head(chunk: bytes) -> tuple[dict[str, str], bytes]:
    """Headers (lower-case names) and body of one MIME/HTTP entity."""
    if chunk.startswith((b"\r\n", b"\n")):
        return {}, chunk[2:] if chunk.startswith(b"\r\n") else chunk[1:]
    match = _HEAD_END.search(chunk)
    head, content = (chunk[: match.start()], chunk[match.end() :]) if match else (chunk, b"")
    parsed = HeaderParser().parsestr(head.decode("latin-1"))
    return {k.lower(): v for k, v in parsed.items()}, content
