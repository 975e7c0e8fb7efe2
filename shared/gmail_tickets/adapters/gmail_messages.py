"""Reading messages in HTTP batches: messages.get as format=minimal, metadata or raw, parsed into port values.

A message that is gone (404) comes back as None for its id rather than failing the others.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from gmail_tickets.adapters.gmail_transport import GmailTransport
from gmail_tickets.ports import MessageMeta, RawMessage


def get_meta(
    transport: GmailTransport, ids: Sequence[str], headers: Sequence[str] = ()
) -> dict[str, MessageMeta | None]:
    """format=minimal, or format=metadata with just the named headers when some are asked for."""
    if not headers:
        return transport.batch("messages", "get", ids, lambda mid: {"id": mid, "format": "minimal"}, parse_meta)
    wanted = list(headers)
    return transport.batch(
        "messages", "get", ids,
        lambda mid: {"id": mid, "format": "metadata", "metadataHeaders": wanted}, parse_meta,
    )


def get_raw(transport: GmailTransport, ids: Sequence[str]) -> dict[str, RawMessage | None]:
    return transport.batch("messages", "get", ids, lambda mid: {"id": mid, "format": "raw"}, parse_raw)


def from_ms(value: str | int) -> datetime:
    """Gmail's epoch milliseconds (internalDate, a watch's expiration) as an aware UTC datetime."""
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def parse_meta(data: dict[str, Any]) -> MessageMeta:
    return MessageMeta(
        id=str(data["id"]),
        thread_id=str(data["threadId"]),
        label_ids=tuple(data.get("labelIds") or ()),
        size_estimate=int(data.get("sizeEstimate") or 0),
        history_id=int(data["historyId"]),
        internal_date=from_ms(data["internalDate"]),
        headers={h["name"].lower(): h["value"] for h in (data.get("payload") or {}).get("headers", [])},
    )


def parse_raw(data: dict[str, Any]) -> RawMessage:
    raw = str(data["raw"])
    meta = parse_meta(data)
    return RawMessage(
        id=meta.id,
        thread_id=meta.thread_id,
        label_ids=meta.label_ids,
        size_estimate=meta.size_estimate,
        history_id=meta.history_id,
        internal_date=meta.internal_date,
        raw=base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)),
    )
