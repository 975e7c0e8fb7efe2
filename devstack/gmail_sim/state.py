"""Mailboxes: labels, messages, threads and their history. Plain data plus Gmail's rules; no locking here
(the simulator holds one lock around every call) and no HTTP.
"""

from __future__ import annotations

import base64
import bisect
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request, not_found
from .history import HistoryLog, Record
from .mime import ParsedMail, b64url, parse_mail
from .query import SPAM_TRASH, Query

SYSTEM_LABELS = (
    "INBOX",
    "SPAM",
    "TRASH",
    "UNREAD",
    "STARRED",
    "IMPORTANT",
    "SENT",
    "DRAFT",
    "CHAT",
    "CATEGORY_PERSONAL",
    "CATEGORY_SOCIAL",
    "CATEGORY_PROMOTIONS",
    "CATEGORY_UPDATES",
    "CATEGORY_FORUMS",
)
NOT_BY_HAND = frozenset({"SENT", "DRAFT", "CHAT"})
"""Labels users.messages.modify refuses: Gmail sets them itself."""
RESERVED_NAMES = frozenset(n.lower() for n in (*SYSTEM_LABELS, "ALL", "Sent Mail", "Drafts", "Chats", "Starred"))


@dataclass
class Label:
    id: str
    name: str
    type: str
    message_list_visibility: str | None = None
    label_list_visibility: str | None = None
    color: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "type": self.type}
        if self.message_list_visibility:
            out["messageListVisibility"] = self.message_list_visibility
        if self.label_list_visibility:
            out["labelListVisibility"] = self.label_list_visibility
        if self.color:
            out["color"] = self.color
        return out


class Message:
    __slots__ = ("_raw_b64", "history_id", "id", "internal_date_ms", "labels", "parsed", "raw", "seq", "thread_id")

    def __init__(
        self,
        id: str,
        thread_id: str,
        raw: bytes,
        labels: set[str],
        internal_date_ms: int,
        seq: int,
        parsed: ParsedMail,
    ) -> None:
        self.id = id
        self.thread_id = thread_id
        self.raw = raw
        self.labels = labels
        self.internal_date_ms = internal_date_ms
        self.seq = seq
        self.parsed = parsed
        self.history_id = 0
        self._raw_b64: str | None = None

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.internal_date_ms, self.seq)

    def minimal(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "threadId": self.thread_id}
        if self.labels:
            out["labelIds"] = sorted(self.labels)
        out["snippet"] = self.parsed.snippet
        out["sizeEstimate"] = len(self.raw)
        out["historyId"] = str(self.history_id)
        out["internalDate"] = str(self.internal_date_ms)
        return out

    def to_json(self, fmt: str = "full", metadata_headers: Iterable[str] = ()) -> dict[str, Any]:
        out = self.minimal()
        if fmt == "full":
            out["payload"] = self.parsed.payload
        elif fmt == "metadata":
            wanted = {h.lower() for h in metadata_headers}
            headers = [{"name": n, "value": v} for n, v in self.parsed.headers if not wanted or n.lower() in wanted]
            out["payload"] = {
                "partId": "",
                "mimeType": self.parsed.payload["mimeType"],
                "filename": "",
                "headers": headers,
            }
        elif fmt == "raw":
            if self._raw_b64 is None:
                self._raw_b64 = b64url(self.raw)
            out["raw"] = self._raw_b64
        elif fmt != "minimal":
            raise bad_request(f"Invalid format: {fmt}")
        return out

    def ref(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "threadId": self.thread_id}
        if self.labels:
            out["labelIds"] = sorted(self.labels)
        return out


def _page_token(key: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def _page_key(token: str) -> tuple[int, int]:
    try:
        a, b = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return (int(a), int(b))
    except (ValueError, TypeError) as exc:
        raise bad_request("Invalid pageToken") from exc


class Mailbox:
    """One Gmail account's mail. `on_change(history_id)` fires after every history record (push)."""

    def __init__(
        self,
        address: str,
        kind: str,
        *,
        rng: random.Random,
        now: Callable[[], float],
        history_step: tuple[int, int],
        inline_limit: int,
        on_change: Callable[[str, int], None],
    ) -> None:
        self.address = address
        self.kind = kind
        self.send_limit = 0
        """Recipients per rolling 24 h; the simulator sets it from the kind unless configured."""
        self._rng = rng
        self._now = now
        self._inline_limit = inline_limit
        self._on_change = on_change
        self.history = HistoryLog(rng, history_step)
        self.labels: dict[str, Label] = {name: Label(name, name, "system") for name in SYSTEM_LABELS}
        self._next_label = 1
        self.messages: dict[str, Message] = {}
        self.threads: dict[str, list[str]] = {}
        self.by_rfc_id: dict[str, str] = {}
        self._order: list[tuple[int, int, str]] = []
        self._seq = 0

    # ---- labels ---------------------------------------------------------------------------------------
    def label_ids_by_name(self) -> dict[str, str]:
        return {label.name.lower(): label.id for label in self.labels.values()}

    def create_label(self, name: str, mlv: str | None, llv: str | None, color: dict | None) -> Label:
        name = (name or "").strip()
        if not name:
            raise bad_request("Invalid label name")
        if name.lower() in RESERVED_NAMES:
            raise bad_request("Invalid label name")
        if name.lower() in self.label_ids_by_name():
            raise ApiError(409, "Label name exists or conflicts", "duplicate")
        label = Label(f"Label_{self._next_label}", name, "user", mlv or "show", llv or "labelShow", color)
        self._next_label += 1
        self.labels[label.id] = label
        return label

    def label(self, label_id: str) -> Label:
        try:
            return self.labels[label_id]
        except KeyError:
            raise not_found() from None

    def update_label(self, label_id: str, changes: dict[str, Any]) -> Label:
        label = self.label(label_id)
        if label.type == "system":
            raise bad_request("Invalid label: system labels cannot be changed")
        new_name = changes.get("name")
        if new_name is not None and new_name.lower() != label.name.lower():
            if new_name.lower() in RESERVED_NAMES:
                raise bad_request("Invalid label name")
            if new_name.lower() in self.label_ids_by_name():
                raise ApiError(409, "Label name exists or conflicts", "duplicate")
        if new_name:
            label.name = new_name
        label.message_list_visibility = changes.get("messageListVisibility", label.message_list_visibility)
        label.label_list_visibility = changes.get("labelListVisibility", label.label_list_visibility)
        label.color = changes.get("color", label.color)
        return label

    def delete_label(self, label_id: str) -> None:
        label = self.label(label_id)
        if label.type == "system":
            raise bad_request("Invalid label: system labels cannot be deleted")
        for msg in list(self.messages.values()):
            if label_id in msg.labels:
                self.modify(msg, (), (label_id,))
        del self.labels[label_id]

    def label_counts(self, label_id: str) -> dict[str, int]:
        msgs = [m for m in self.messages.values() if label_id in m.labels]
        unread = [m for m in msgs if "UNREAD" in m.labels]
        return {
            "messagesTotal": len(msgs),
            "messagesUnread": len(unread),
            "threadsTotal": len({m.thread_id for m in msgs}),
            "threadsUnread": len({m.thread_id for m in unread}),
        }

    def check_labels(self, label_ids: Iterable[str], *, forbid: frozenset[str] = NOT_BY_HAND) -> list[str]:
        out = []
        for label_id in label_ids:
            if label_id not in self.labels or label_id in forbid:
                raise bad_request(f"Invalid label: {label_id}")
            out.append(label_id)
        return out

    # ---- messages -------------------------------------------------------------------------------------
    def get(self, message_id: str) -> Message:
        msg = self.messages.get(message_id)
        if msg is None:
            if not message_id or any(c not in "0123456789abcdef" for c in message_id.lower()):
                raise bad_request("Invalid id value")
            raise not_found()
        return msg

    def _new_message_id(self) -> str:
        while True:
            candidate = format(self._rng.getrandbits(60) | (1 << 60), "x")
            if candidate not in self.messages and candidate not in self.threads:
                return candidate

    def _fits_thread(self, thread_id: str, parsed: ParsedMail) -> bool:
        return any(self.messages[m].parsed.subject_key == parsed.subject_key for m in self.threads[thread_id])

    def _choose_thread(self, parsed: ParsedMail, requested: str | None, by_headers: bool) -> str | None:
        """Gmail's rule: a requested threadId counts only with In-Reply-To/References and a matching
        subject; incoming mail joins the thread of a referenced message whose subject matches."""
        if requested and requested in self.threads and parsed.references and self._fits_thread(requested, parsed):
            return requested
        if by_headers:
            for ref in reversed(parsed.references):
                found = self.by_rfc_id.get(ref)
                if found and self._fits_thread(self.messages[found].thread_id, parsed):
                    return self.messages[found].thread_id
        return None

    def add_message(
        self,
        raw: bytes,
        label_ids: Iterable[str],
        *,
        internal_date_ms: int | None = None,
        thread_id: str | None = None,
        thread_by_headers: bool = True,
        message_id: str | None = None,
        use_date_header: bool = False,
    ) -> Message:
        mid = message_id or self._new_message_id()
        parsed = parse_mail(raw, mid, self._inline_limit)
        tid = self._choose_thread(parsed, thread_id, thread_by_headers) or mid
        self._seq += 1
        if internal_date_ms is None and use_date_header:
            internal_date_ms = parsed.date_ms
        when = internal_date_ms if internal_date_ms is not None else int(self._now() * 1000)
        msg = Message(mid, tid, raw, set(label_ids), when, self._seq, parsed)
        self.messages[mid] = msg
        self.threads.setdefault(tid, []).append(mid)
        if parsed.message_id:
            self.by_rfc_id.setdefault(parsed.message_id, mid)
        bisect.insort(self._order, (*msg.sort_key, mid))
        self._record("messageAdded", msg)
        return msg

    def new_message_id(self) -> str:
        return self._new_message_id()

    def modify(self, msg: Message, add: Iterable[str], remove: Iterable[str]) -> None:
        add, remove = list(dict.fromkeys(add)), list(dict.fromkeys(remove))
        both = set(add) & set(remove)
        if both:
            raise bad_request(f"Label {sorted(both)[0]} cannot be both added and removed")
        added = tuple(label for label in add if label not in msg.labels)
        removed = tuple(label for label in remove if label in msg.labels)
        if added:
            msg.labels.update(added)
            self._record("labelAdded", msg, added)
        if removed:
            msg.labels.difference_update(removed)
            self._record("labelRemoved", msg, removed)

    def delete(self, msg: Message) -> None:
        del self.messages[msg.id]
        thread = self.threads[msg.thread_id]
        thread.remove(msg.id)
        if not thread:
            del self.threads[msg.thread_id]
        if self.by_rfc_id.get(msg.parsed.message_id) == msg.id:
            del self.by_rfc_id[msg.parsed.message_id]
        i = bisect.bisect_left(self._order, (*msg.sort_key, msg.id))
        del self._order[i]
        self._record("messageDeleted", msg)

    def _record(self, kind: str, msg: Message, changed: tuple[str, ...] = ()) -> None:
        hid = self.history.next_id()
        msg.history_id = hid
        self.history.append(Record(hid, self._now(), kind, msg.id, msg.thread_id, tuple(sorted(msg.labels)), changed))
        self._on_change(self.address, hid)

    def search(
        self,
        query: Query | None,
        label_ids: Iterable[str] = (),
        include_spam_trash: bool = False,
        max_results: int = 100,
        page_token: str | None = None,
    ) -> dict[str, Any]:
        """messages.list: newest first by internalDate, paged by a token naming the last item returned."""
        wanted = set(label_ids)
        lift = include_spam_trash or bool(wanted & SPAM_TRASH) or (query is not None and query.names_spam_or_trash)
        start = len(self._order)
        if page_token:
            start = bisect.bisect_left(self._order, _page_key(page_token))
        matches: list[Message] = []
        total = 0
        for i in range(len(self._order) - 1, -1, -1):
            msg = self.messages[self._order[i][2]]
            if not lift and msg.labels & SPAM_TRASH:
                continue
            if wanted and not wanted <= msg.labels:
                continue
            if query is not None and not query.matches(msg):
                continue
            total += 1
            if i < start and len(matches) <= max_results:
                matches.append(msg)
        body: dict[str, Any] = {}
        if len(matches) > max_results:
            body["nextPageToken"] = _page_token(matches[max_results - 1].sort_key)
            matches = matches[:max_results]
        if matches:
            body["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in matches]
        body["resultSizeEstimate"] = total
        return body

    def profile(self) -> dict[str, Any]:
        return {
            "emailAddress": self.address,
            "messagesTotal": len(self.messages),
            "threadsTotal": len(self.threads),
            "historyId": str(self.history.current),
        }
