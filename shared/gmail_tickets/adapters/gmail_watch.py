"""Push notifications: users.watch publishes the mailbox's changes to a Pub/Sub topic until it expires; stop ends it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gmail_tickets.adapters.gmail_messages import from_ms
from gmail_tickets.adapters.gmail_transport import GmailTransport
from gmail_tickets.ports import WatchResult


def watch(transport: GmailTransport, topic_name: str, label_ids: Sequence[str] = ("INBOX",)) -> WatchResult:
    body: dict[str, Any] = {"topicName": topic_name}
    if label_ids:
        body["labelIds"] = list(label_ids)
        body["labelFilterBehavior"] = "include"
    data = transport.call("", "watch", body=body)
    return WatchResult(history_id=int(data["historyId"]), expiration=from_ms(data["expiration"]))


def stop_watch(transport: GmailTransport) -> None:
    transport.call("", "stop")
