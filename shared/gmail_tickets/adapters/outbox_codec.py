"""Outbox records and send windows <-> JSON-safe dicts, one format for both stores.

SQLite keeps the dict as a JSON column beside the few columns it queries by; Firestore keeps it as the document
(`state`, `ticket_id` and `created_at` are top-level fields there, which its single-field indexes serve). Times are
ISO 8601 strings in UTC with fixed width, so their text order is their time order in either store.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gmail_tickets.domain.outbox import AttachmentRef, Notification, NotificationState, SendWindow

Doc = dict[str, Any]


def ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


def dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


def notification_doc(n: Notification) -> Doc:
    return {
        "id": n.id, "ticket_id": n.ticket_id, "event": n.event, "connection": n.connection,
        "from_address": n.from_address, "from_name": n.from_name, "to": list(n.to), "cc": list(n.cc),
        "reply_to": n.reply_to, "subject": n.subject, "text": n.text, "html": n.html, "message_id": n.message_id,
        "in_reply_to": n.in_reply_to, "references": list(n.references), "automatic": n.automatic,
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size, "blob_key": a.blob_key}
            for a in n.attachments
        ],
        "gmail_thread_id": n.gmail_thread_id, "state": str(n.state), "route": n.route,
        "route_reason": n.route_reason, "force_relay": n.force_relay, "attempts": n.attempts,
        "last_error": n.last_error, "holder": n.holder, "lease_until": ts(n.lease_until),
        "created_at": ts(n.created_at), "updated_at": ts(n.updated_at), "sent_at": ts(n.sent_at),
        "gmail_message_id": n.gmail_message_id,
    }


def notification_from(d: Mapping[str, Any]) -> Notification:
    return Notification(
        id=d["id"], ticket_id=int(d["ticket_id"]), event=d["event"], connection=d["connection"],
        from_address=d["from_address"], from_name=d.get("from_name") or "", to=tuple(d.get("to") or ()),
        cc=tuple(d.get("cc") or ()), reply_to=d.get("reply_to"), subject=d["subject"], text=d["text"],
        html=d.get("html"), message_id=d["message_id"], in_reply_to=d.get("in_reply_to"),
        references=tuple(d.get("references") or ()), automatic=bool(d.get("automatic", True)),
        attachments=tuple(
            AttachmentRef(a["filename"], a["content_type"], int(a["size"]), a["blob_key"])
            for a in d.get("attachments") or ()
        ),
        gmail_thread_id=d.get("gmail_thread_id"), state=NotificationState(d["state"]), route=d.get("route"),
        route_reason=d.get("route_reason") or "", force_relay=bool(d.get("force_relay", False)),
        attempts=int(d.get("attempts", 0)), last_error=d.get("last_error"), holder=d.get("holder"),
        lease_until=dt(d.get("lease_until")), created_at=dt(d.get("created_at")),
        updated_at=dt(d.get("updated_at")), sent_at=dt(d.get("sent_at")),
        gmail_message_id=d.get("gmail_message_id"),
    )


def send_window_doc(w: SendWindow) -> Doc:
    return {
        "address": w.address,
        "buckets": {ts(hour): count for hour, count in sorted(w.buckets.items())},
        "blocked_until": ts(w.blocked_until),
    }


def send_window_from(d: Mapping[str, Any]) -> SendWindow:
    buckets = {dt(hour): int(count) for hour, count in (d.get("buckets") or {}).items()}
    return SendWindow(
        address=d["address"],
        buckets={hour: count for hour, count in buckets.items() if hour is not None},
        blocked_until=dt(d.get("blocked_until")),
    )
