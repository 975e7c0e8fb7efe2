"""The interfaces the services depend on. Adapters implement them; bootstrap picks which.

Everything here speaks domain terms: Gmail ids as strings, history ids as ints, times as aware UTC datetimes,
mail as raw bytes. Errors raised across these ports are the ones in `gmail_tickets.errors`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from gmail_tickets.domain.model import (
    Brand,
    Comment,
    Connection,
    LedgerEntry,
    OAuthFlow,
    Outcome,
    QuarantineRecord,
    SupportAddress,
    SuspendedMail,
    Ticket,
)
from gmail_tickets.domain.outbox import Notification, NotificationState, SendWindow

T = TypeVar("T")


# --------------------------------------------------------------------------- Gmail


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


# --------------------------------------------------------------------------- Store


class UnitOfWork(Protocol):
    """One transaction. Read first, then write (Firestore's rule). The function given to `Store.atomically`
    may run more than once when transactions contend, so it must do nothing but read and write through here."""

    def get_connection(self, address: str) -> Connection | None: ...

    def get_ledger(self, connection: str, gmail_message_id: str) -> LedgerEntry | None: ...

    def ticket_for_thread(self, connection: str, thread_id: str) -> int | None:
        """The ticket a Gmail thread of this mailbox already belongs to."""

    def ticket_for_message_ids(self, message_ids: Sequence[str]) -> int | None:
        """The ticket of the first of these RFC Message-IDs (without angle brackets) that we stored."""

    def get_ticket(self, ticket_id: int) -> Ticket | None: ...

    def put_connection(self, connection: Connection) -> None: ...

    def add_ledger(self, entry: LedgerEntry, *, thread_id: str | None = None) -> None:
        """Create-if-absent: raises AlreadyRecorded (here or at commit) when the entry exists. `thread_id`
        and `entry.rfc_message_id` feed the thread index for ticket_for_thread / ticket_for_message_ids."""

    def add_ticket(self, ticket: Ticket) -> int:
        """Store a new ticket, assign and return its id (also set on `ticket.id`)."""

    def put_ticket(self, ticket: Ticket) -> None:
        """Replace an existing ticket, whole, by `ticket.id`: for updates (followers, status), never to create.
        Read it in the same unit of work first, so a concurrent update makes this one retry instead of being
        overwritten. Raises KeyError for a ticket that does not exist (Firestore can tell only when this unit
        read it as missing) and ValueError for one without an id."""

    def add_comment(self, comment: Comment) -> str:
        """Store a comment, assign and return its id (also set on `comment.id`)."""

    def add_quarantine(self, record: QuarantineRecord) -> None:
        """Insert or replace by id (a redelivered poison event quarantines once)."""

    def add_suspended(self, record: SuspendedMail) -> None:
        """Insert or replace by id."""

    # the outbox (see domain/outbox.py)
    def get_notification(self, notification_id: str) -> Notification | None: ...

    def put_notification(self, notification: Notification) -> None:
        """Insert or replace by id."""

    def get_send_window(self, address: str) -> SendWindow:
        """The account's Gmail sends in the rolling 24 h; an empty window when it never sent."""

    def put_send_window(self, window: SendWindow) -> None: ...


class Store(Protocol):
    """Connection state, the dedupe ledger, tickets. SQLite embedded, Firestore in the cloud."""

    write_count: int  # documents/rows written since start: the bench reports writes per ticket

    def atomically(self, fn: Callable[[UnitOfWork], T]) -> T:
        """Run `fn` in one transaction and commit; retried on contention; AlreadyRecorded propagates."""

    # connections, addresses, brands
    def get_connection(self, address: str) -> Connection | None: ...
    def save_connection(self, connection: Connection) -> None: ...
    def list_connections(self) -> list[Connection]: ...
    def delete_connection(self, address: str) -> None: ...
    def save_support_address(self, address: SupportAddress) -> None: ...
    def list_support_addresses(self) -> list[SupportAddress]: ...
    def delete_support_address(self, address: str) -> None: ...
    def save_brand(self, brand: Brand) -> None: ...
    def list_brands(self) -> list[Brand]: ...

    # ledger
    def ledger_contains(self, connection: str, gmail_message_ids: Sequence[str]) -> set[str]:
        """Which of these ids the ledger holds already (a cheap pre-filter before fetching mail)."""

    def ledger_counts(self, connection: str | None = None) -> dict[Outcome, int]: ...

    # tickets
    def get_ticket(self, ticket_id: int) -> Ticket | None: ...
    def list_tickets(self, *, limit: int = 50, connection: str | None = None) -> list[Ticket]:
        """Newest first."""

    def comments(self, ticket_id: int) -> list[Comment]:
        """Oldest first."""

    def list_quarantine(self, *, limit: int = 50) -> list[QuarantineRecord]: ...

    def list_suspended(self, *, limit: int = 50) -> list[SuspendedMail]:
        """Newest first."""

    def recent_mail_count(self, sender: str, since: datetime) -> int:
        """Ledger entries of mail from `sender` (any connection, any outcome) created at or after `since`:
        what burst detection counts."""

    # the outbox
    def get_notification(self, notification_id: str) -> Notification | None: ...

    def list_notifications(
        self, *, states: Sequence[NotificationState] = (), ticket_id: int | None = None, limit: int = 100,
        oldest_first: bool = False,
    ) -> list[Notification]:
        """Newest first (by created_at, then id; records without a time last), or oldest first; only those in
        `states` (any state when empty) and of `ticket_id`."""

    def get_send_window(self, address: str) -> SendWindow: ...

    def record_gmail_sends(self, address: str, at: datetime, recipients: int) -> None:
        """Add `recipients` to the account's bucket for the hour of `at`, atomically and without contending with
        other senders of the account (the window is one hot document per account)."""

    # OAuth flows: single-use
    def save_oauth_flow(self, flow: OAuthFlow) -> None: ...

    def take_oauth_flow(self, nonce: str, now: datetime) -> OAuthFlow | None:
        """Atomically read and delete the flow: the first caller gets it, any later one None. None too when it
        has expired (an expired flow is deleted all the same)."""

    # leases: one sync per mailbox at a time
    def try_lease(self, key: str, holder: str, now: datetime, ttl_seconds: float) -> bool:
        """Take the lease if free, expired or already ours. If someone else holds it, leave a 'look again'
        mark for them and return False."""

    def release_lease(self, key: str, holder: str) -> bool:
        """If a 'look again' mark was left: clear it, keep the lease and return True (sync once more).
        Otherwise free the lease and return False. Atomic, so no mark is lost between check and release."""


# --------------------------------------------------------------------------- blobs


class BlobStore(Protocol):
    """Bytes too big or too binary for the Store: raw mail and attachments. Local folder embedded, Cloud Storage
    in the cloud. Writes are idempotent (same key, same bytes), so they happen outside store transactions."""

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...

    def get(self, key: str) -> bytes:
        """Raises KeyError when there is no such blob."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Removing a missing blob is not an error."""


# --------------------------------------------------------------------------- mail relay


class Relay(Protocol):
    """The help desk's own mail servers (SMTP with STARTTLS and authentication): used when Gmail may not send."""

    def send(self, raw: bytes, sender: str, recipients: Sequence[str]) -> None:
        """Hand the mail to the relay. Raises TransientError when worth retrying (4xx, unreachable) and
        RelayRejected when the relay refuses it for good (5xx)."""


# --------------------------------------------------------------------------- Google OAuth

GMAIL_SCOPE = "https://www.googleapis.com/auth/gmail.modify"
"""Read, label and send: the one scope we ask for (a restricted scope; see docs/deploy.md)."""


@dataclass(frozen=True)
class TokenGrant:
    """Google's answer to a code exchange. Holds tokens: never log it, never put it in an error."""

    access_token: str
    refresh_token: str | None
    scopes: tuple[str, ...] = (GMAIL_SCOPE,)
    refresh_token_expires_in: int | None = None  # only for OAuth clients in "Testing" status

    def __repr__(self) -> str:
        return f"TokenGrant(scopes={self.scopes!r}, refresh_token_expires_in={self.refresh_token_expires_in!r})"


class OAuthClient(Protocol):
    """Google's token and revocation endpoints (adapters.google_oauth.GoogleOAuth)."""

    def exchange_code(self, code: str, *, redirect_uri: str, code_verifier: str) -> TokenGrant:
        """Raises OAuthRefused for Google's 4xx answers, TransientError when it cannot be reached."""

    def revoke(self, token: str) -> bool:
        """Revoke the grant behind a token; False when it was already invalid."""

    def account_of(self, access_token: str) -> str:
        """The Gmail address an access token opens."""


# --------------------------------------------------------------------------- the rest


class Publisher(Protocol):
    def publish(self, topic: str, data: dict[str, Any]) -> None:
        """Publish a JSON message; returns once the broker has it (at-least-once from here on)."""


class Secrets(Protocol):
    def get(self, name: str) -> str | None: ...
    def put(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
