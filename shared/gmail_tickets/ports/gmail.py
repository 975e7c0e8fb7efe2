"""The Gmail API as the services see it: one account's mailbox, in domain terms."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Profile:
    email_address: str
    history_id: int
    messages_total: int = 0


@dataclass(frozen=True)
class MessageRef:
    id: str
    thread_id: str


@dataclass(frozen=True)
class HistoryRecord:
    """One change to one message, flattened from Gmail's history records.

    `kind` is messageAdded, messageDeleted, labelAdded or labelRemoved; `label_ids` are the message's labels as
    the record gives them; `changed_label_ids` the labels a labelAdded/labelRemoved record added or removed.
    """

    history_id: int
    kind: str
    message: MessageRef
    label_ids: tuple[str, ...] = ()
    changed_label_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryPage:
    records: list[HistoryRecord]
    history_id: int | None  # the mailbox's current id; set on the last page only (the new cursor)


@dataclass(frozen=True)
class MessageMeta:
    id: str
    thread_id: str
    label_ids: tuple[str, ...]
    size_estimate: int
    history_id: int
    internal_date: datetime
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names; only those asked for


@dataclass(frozen=True)
class RawMessage:
    id: str
    thread_id: str
    label_ids: tuple[str, ...]
    size_estimate: int
    history_id: int
    internal_date: datetime
    raw: bytes


@dataclass(frozen=True)
class WatchResult:
    history_id: int
    expiration: datetime


@dataclass(frozen=True)
class SentMessage:
    id: str
    thread_id: str


class Mailbox(Protocol):
    """One Gmail account, as the Gmail API sees it. Retries transient errors itself, with backoff."""

    address: str

    def profile(self) -> Profile: ...

    def ensure_label(self, name: str) -> str:
        """The id of the user label `name`, creating it when missing (a taken name is reused)."""

    def history(
        self,
        start_history_id: int,
        *,
        label_id: str | None = None,
        history_types: Sequence[str] = ("messageAdded", "labelAdded"),
    ) -> Iterator[HistoryPage]:
        """Pages of changes after `start_history_id`, oldest first. Raises HistoryExpired on Gmail's 404."""

    def has_changes(
        self, start_history_id: int, *, history_types: Sequence[str] = ("messageAdded", "labelAdded"),
    ) -> bool:
        """Whether any change of these kinds came after `start_history_id`: one history.list asking for a single
        record, the cheapest look (the sweep's idle check). Raises HistoryExpired on Gmail's 404."""

    def list_messages(
        self, query: str = "", *, label_ids: Sequence[str] = (), limit: int | None = None,
        include_spam_trash: bool = False,
    ) -> Iterator[MessageRef]:
        """Messages matching a Gmail search query, newest first, paged transparently."""

    def get_meta(self, ids: Sequence[str], headers: Sequence[str] = ()) -> dict[str, MessageMeta | None]:
        """Labels, size and thread of each message, batched; with `headers`, those headers too (format=metadata).
        None for a message that is gone."""

    def get_raw(self, ids: Sequence[str]) -> dict[str, RawMessage | None]:
        """The RFC 822 bytes of each message (format=raw), batched <= 50 a request; None for one that is gone."""

    def modify_labels(self, ids: Sequence[str], add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        """Add/remove labels on many messages at the lowest quota cost (modify for few, batchModify for many)."""

    def send(self, raw: bytes, thread_id: str | None = None) -> SentMessage:
        """Send RFC 822 bytes as this account. Raises SendLimitReached at Gmail's daily limit."""

    def watch(self, topic_name: str, label_ids: Sequence[str] = ("INBOX",)) -> WatchResult: ...

    def stop_watch(self) -> None: ...


MailboxProvider = Callable[[str], Mailbox]
"""Gives the Mailbox for a connected address (reads its refresh token from Secrets)."""
