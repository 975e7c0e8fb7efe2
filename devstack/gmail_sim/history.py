"""A mailbox's change log as users.history.list shows it.

Ids increase with random gaps (clients must not assume contiguity), each record is one change of one
message, and message snapshots are frozen at the time of the change. Old ids go stale: by age (retention)
or all at once (`expire`, for tests of the 404 → full-sync path). The mailbox's current id never goes stale
by age alone, so an idle mailbox's cursor stays usable, as with Gmail.
"""

from __future__ import annotations

import base64
import bisect
import json
import random
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request

TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")
_FIELD = {
    "messageAdded": "messagesAdded",
    "messageDeleted": "messagesDeleted",
    "labelAdded": "labelsAdded",
    "labelRemoved": "labelsRemoved",
}


@dataclass(frozen=True)
class Record:
    id: int
    at: float
    """Simulator time of the change (for retention)."""
    type: str
    message_id: str
    thread_id: str
    label_ids: tuple[str, ...]
    """The message's labels right after the change."""
    changed: tuple[str, ...] = ()
    """For labelAdded/labelRemoved: the labels that changed."""

    def to_json(self) -> dict[str, Any]:
        message = {"id": self.message_id, "threadId": self.thread_id, "labelIds": list(self.label_ids)}
        entry: dict[str, Any] = {"message": message}
        if self.changed:
            entry["labelIds"] = list(self.changed)
        return {
            "id": str(self.id),
            "messages": [{"id": self.message_id, "threadId": self.thread_id}],
            _FIELD[self.type]: [entry],
        }


def _token(after: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"h": after}).encode()).decode().rstrip("=")


def _untoken(token: str) -> int:
    try:
        return int(json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["h"])
    except (ValueError, KeyError, TypeError) as exc:
        raise bad_request("Invalid pageToken") from exc


class HistoryLog:
    def __init__(self, rng: random.Random, step: tuple[int, int]) -> None:
        self._rng = rng
        self._step = step
        self.current = rng.randint(100_000, 999_999)
        self.stale_through = 0
        """Every start id <= this answers 404."""
        self._records: list[Record] = []
        self._ids: list[int] = []

    def next_id(self) -> int:
        self.current += self._rng.randint(*self._step)
        return self.current

    def append(self, record: Record) -> None:
        self._records.append(record)
        self._ids.append(record.id)

    def expire_all(self) -> int:
        """Make every id handed out so far stale, and move to a fresh current id (no record)."""
        self.stale_through = self.current
        self._records.clear()
        self._ids.clear()
        return self.next_id()

    def prune(self, now: float, retention_s: float) -> None:
        cutoff = now - retention_s
        n = 0
        while n < len(self._records) and self._records[n].at < cutoff:
            n += 1
        if n:
            newest_pruned = self._records[n - 1].id
            self.stale_through = max(self.stale_through, min(newest_pruned, self.current - 1))
            del self._records[:n]
            del self._ids[:n]

    def check_start(self, start: int) -> None:
        if start <= self.stale_through or start > self.current:
            raise ApiError(404, "Requested entity was not found.", "notFound")

    def list(
        self,
        start: int,
        *,
        types: set[str] | None,
        label_id: str | None,
        max_results: int,
        page_token: str | None,
    ) -> dict[str, Any]:
        self.check_start(start)
        after = _untoken(page_token) if page_token else start
        if after < start:
            raise bad_request("Invalid pageToken")
        out: list[dict[str, Any]] = []
        next_token = None
        out_last = after
        i = bisect.bisect_right(self._ids, after)
        while i < len(self._records):
            rec = self._records[i]
            i += 1
            if types and rec.type not in types:
                continue
            if label_id and label_id not in rec.label_ids and label_id not in rec.changed:
                continue
            if len(out) == max_results:
                next_token = _token(out_last)
                break
            out.append(rec.to_json())
            out_last = rec.id
        body: dict[str, Any] = {"historyId": str(self.current)}
        if out:
            body["history"] = out
        if next_token:
            body["nextPageToken"] = next_token
        return body
