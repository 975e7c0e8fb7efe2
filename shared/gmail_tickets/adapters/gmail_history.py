"""Paging through a mailbox: history.list (what changed after a cursor) and messages.list (what matches a query)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from gmail_tickets.adapters.gmail_transport import GmailTransport
from gmail_tickets.ports import HistoryPage, HistoryRecord, MessageRef

HISTORY_TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")
_HISTORY_FIELDS = (
    ("messagesAdded", "messageAdded"),
    ("messagesDeleted", "messageDeleted"),
    ("labelsAdded", "labelAdded"),
    ("labelsRemoved", "labelRemoved"),
)
PAGE_SIZE = 500  # Gmail's largest page for both lists


def history_pages(
    transport: GmailTransport,
    start_history_id: int,
    *,
    label_id: str | None = None,
    history_types: Sequence[str] = ("messageAdded", "labelAdded"),
) -> Iterator[HistoryPage]:
    """Pages of changes after `start_history_id`. Raises HistoryExpired on Gmail's 404 (the cursor is
    too old: full sync). Only the last page carries the new cursor."""
    page_token: str | None = None
    while True:
        data = transport.call(
            "history", "list",
            startHistoryId=str(start_history_id),
            historyTypes=list(history_types) or None,
            labelId=label_id,
            maxResults=PAGE_SIZE,
            pageToken=page_token,
        )
        page_token = data.get("nextPageToken")
        yield HistoryPage(
            records=flatten_history(data.get("history") or ()),
            history_id=None if page_token else int(data["historyId"]),
        )
        if not page_token:
            return


def has_changes(transport: GmailTransport, start_history_id: int, history_types: Sequence[str]) -> bool:
    """One history.list of at most one record: anything after the cursor? (2 quota units, like any page.)"""
    data = transport.call("history", "list", startHistoryId=str(start_history_id),
                          historyTypes=list(history_types) or None, maxResults=1)
    return bool(data.get("history") or data.get("nextPageToken"))


def list_messages(
    transport: GmailTransport,
    query: str = "",
    *,
    label_ids: Sequence[str] = (),
    limit: int | None = None,
    include_spam_trash: bool = False,
) -> Iterator[MessageRef]:
    """The messages matching `query` and `label_ids`, at most `limit` (None: all), page by page."""
    remaining = limit
    page_token: str | None = None
    while remaining is None or remaining > 0:
        data = transport.call(
            "messages", "list",
            q=query or None,
            labelIds=list(label_ids) or None,
            includeSpamTrash=include_spam_trash,
            maxResults=PAGE_SIZE if remaining is None else min(PAGE_SIZE, remaining),
            pageToken=page_token,
        )
        for item in data.get("messages") or ():
            if remaining is not None:
                if remaining <= 0:
                    return
                remaining -= 1
            yield MessageRef(id=str(item["id"]), thread_id=str(item.get("threadId", "")))
        page_token = data.get("nextPageToken")
        if not page_token:
            return


def flatten_history(history: Sequence[dict[str, Any]]) -> list[HistoryRecord]:
    """One HistoryRecord per message per typed field, in Gmail's order. The untyped `messages` field only
    repeats what the typed ones say, so it is ignored."""
    records: list[HistoryRecord] = []
    for entry in history:
        history_id = int(entry["id"])
        for field_name, kind in _HISTORY_FIELDS:
            for item in entry.get(field_name) or ():
                message = item.get("message") or {}
                records.append(
                    HistoryRecord(
                        history_id=history_id,
                        kind=kind,
                        message=MessageRef(id=str(message["id"]), thread_id=str(message.get("threadId", ""))),
                        label_ids=tuple(message.get("labelIds") or ()),
                        changed_label_ids=tuple(item.get("labelIds") or ()) if kind.startswith("label") else (),
                    )
                )
    return records
