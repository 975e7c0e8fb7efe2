"""What the sweep knows of a mailbox, and the rules of its one-minute check.

The sweep pages the connections with a projection of just these fields and carries them in its shard messages, so
the check of an idle mailbox reads nothing more from the store and writes nothing: it asks Gmail whether there is
history after the cursor, and only a mailbox with something new (or no cursor yet, or a last sync older than
`mark_every`, or courtesy labels owed for longer than the label delay) gets a sync. A cursor carried in a message
may be a few seconds older than the stored one; an older cursor only ever shows Gmail more history, never less, so
at worst it asks for a sync that finds nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gmail_tickets.domain.model import Connection, ConnectionStatus


@dataclass(frozen=True)
class MailboxCursor:
    """The fields of a connection the sweep and its check need (a projection, never saved back)."""

    address: str
    status: ConnectionStatus = ConnectionStatus.CONNECTED
    history_id: int | None = None
    watch_expiration: datetime | None = None
    last_sync_at: datetime | None = None
    labels_owed_since: datetime | None = None  # the oldest courtesy label still owed (services/owed_labels.py)

    FIELDS = ("address", "status", "history_id", "watch_expiration", "last_sync_at", "labels_owed_since")

    @property
    def is_active(self) -> bool:
        return self.status != ConnectionStatus.DISCONNECTED

    @staticmethod
    def of(connection: Connection) -> MailboxCursor:
        return MailboxCursor(connection.address, connection.status, connection.history_id,
                             connection.watch_expiration, connection.last_sync_at, connection.labels_owed_since)

    def to_message(self) -> dict[str, Any]:
        """JSON-safe, for a shard message."""
        return {"address": self.address, "status": self.status.value, "history_id": self.history_id,
                "watch_expiration": _text(self.watch_expiration), "last_sync_at": _text(self.last_sync_at),
                "labels_owed_since": _text(self.labels_owed_since)}

    @staticmethod
    def from_message(item: Mapping[str, Any]) -> MailboxCursor:
        """Raises ValueError (or KeyError/TypeError) for what no sweep wrote."""
        address = item["address"]
        history_id = item.get("history_id")
        if not isinstance(address, str) or "@" not in address:
            raise ValueError("a shard mailbox without an address")
        if history_id is not None and (isinstance(history_id, bool) or not isinstance(history_id, int)):
            raise ValueError("a shard mailbox's history id is not a number")
        return MailboxCursor(address, ConnectionStatus(item.get("status", "connected")), history_id,
                             _time(item.get("watch_expiration")), _time(item.get("last_sync_at")),
                             _time(item.get("labels_owed_since")))


def shards(cursors: Iterable[MailboxCursor], size: int) -> list[list[MailboxCursor]]:
    """The active mailboxes in groups of `size` (the last one smaller), in the order given."""
    if size < 1:
        raise ValueError("a shard holds at least one mailbox")
    active = [c for c in cursors if c.is_active]
    return [active[i:i + size] for i in range(0, len(active), size)]


def shard_message(shard: Sequence[MailboxCursor]) -> dict[str, Any]:
    return {"mailboxes": [c.to_message() for c in shard]}


def mark_due(last_sync_at: datetime | None, now: datetime, mark_every: timedelta) -> bool:
    """A sync is owed whatever Gmail says: never synced, or its last sync older than `mark_every` (what keeps
    `last_sync_at` within that of now for a healthy idle mailbox, and its cursor moving on)."""
    return last_sync_at is None or now - last_sync_at >= mark_every


def labels_due(owed_since: datetime | None, now: datetime, delay: timedelta) -> bool:
    """Courtesy labels have been owed `delay`: a sync puts them on (the process that owed them may be gone)."""
    return owed_since is not None and now - owed_since >= delay


def _text(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("a shard mailbox's time is not text")
    return datetime.fromisoformat(value)
