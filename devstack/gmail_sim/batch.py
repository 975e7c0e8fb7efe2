"""The batch endpoint's wire format (POST /batch, /batch/gmail/v1), exactly as google-api-python-client
writes and reads it: multipart/mixed, each part `Content-Type: application/http` wrapping one HTTP request;
answers carry `Content-ID: <response-X>` and an inner `HTTP/1.1 200 OK` response, all with CRLF.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from .calls import Reply
from .errors import bad_request
from .multipart import boundary_of, split_head, split_parts


@dataclass
class BatchPart:
    content_id: str | None
    verb: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth[7:].strip() if auth[:7].lower() == "bearer " else None


def parse_batch(body: bytes, content_type: str) -> list[BatchPart]:
    if not content_type.lower().startswith("multipart/mixed"):
        raise bad_request("Batch requests must be multipart/mixed")
    parts = []
    for part_headers, inner in split_parts(body, boundary_of(content_type)):
        line, _, rest = inner.partition(b"\n")
        fields = line.decode("latin-1").strip().split(" ")
        if len(fields) < 2:
            raise bad_request("Invalid batch part: no request line")
        headers, content = split_head(rest)
        url = urlsplit(fields[1])
        parts.append(
            BatchPart(
                content_id=part_headers.get("content-id"),
                verb=fields[0].upper(),
                path=url.path,
                query=parse_qs(url.query, keep_blank_values=True),
                headers=headers,
                body=content,
            )
        )
    return parts


def _response_id(content_id: str | None) -> str | None:
    if not content_id:
        return None
    inner = content_id.strip()
    inner = inner[1:-1] if inner.startswith("<") and inner.endswith(">") else inner
    return f"<response-{inner}>"


def render_batch(answers: list[tuple[str | None, Reply]]) -> tuple[str, bytes]:
    """(Content-Type, body) of the batch answer."""
    boundary = f"batch_{uuid.uuid4().hex}"
    out: list[bytes] = []
    for content_id, reply in answers:
        head = [f"--{boundary}", "Content-Type: application/http"]
        response_id = _response_id(content_id)
        if response_id:
            head.append(f"Content-ID: {response_id}")
        try:
            phrase = HTTPStatus(reply.status).phrase
        except ValueError:
            phrase = "Unknown"
        inner = [f"HTTP/1.1 {reply.status} {phrase}"]
        if reply.body:
            inner.append(f"Content-Type: {reply.content_type}")
        inner += [f"{name}: {value}" for name, value in reply.headers]
        inner.append(f"Content-Length: {len(reply.body)}")
        out.append(("\r\n".join(head) + "\r\n\r\n" + "\r\n".join(inner) + "\r\n\r\n").encode() + reply.body + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return f"multipart/mixed; boundary={boundary}", b"".join(out)
