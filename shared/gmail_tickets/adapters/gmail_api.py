"""The Mailbox port on the real Gmail API (google-api-python-client + google-auth).

`GmailMailbox` is the facade the rest of the code sees; each part of the work has its own module:

  gmail_client     builds the per-thread Gmail `Resource` (optionally against another root URL)
  gmail_transport  one call with backoff, HTTP batches of <= 50 with per-item retry, per-thread clients
  gmail_usage      quota units per method and the tally of what was spent
  gmail_errors     Gmail's failures as the port's typed errors;  gmail_retry: the backoff policy
  gmail_history    history.list and messages.list paging
  gmail_messages   batched messages.get (minimal, metadata, raw) and parsing
  gmail_labels     ensure_label, messages.modify / batchModify by cost
  gmail_send       messages.send with a short retry
  gmail_watch      users.watch / users.stop
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from google.auth.credentials import Credentials

from gmail_tickets.adapters import gmail_history, gmail_labels, gmail_messages, gmail_send, gmail_watch
from gmail_tickets.adapters.gmail_client import GOOGLE_TOKEN_URI, gmail_service, oauth_credentials
from gmail_tickets.adapters.gmail_history import HISTORY_TYPES, flatten_history
from gmail_tickets.adapters.gmail_labels import BATCH_MODIFY_MAX_IDS, MODIFY_MAX_IDS
from gmail_tickets.adapters.gmail_retry import RetryPolicy
from gmail_tickets.adapters.gmail_send import SEND_ATTEMPTS, SEND_MAX_RETRY_AFTER
from gmail_tickets.adapters.gmail_transport import MAX_BATCH_CALLS, GmailTransport
from gmail_tickets.adapters.gmail_usage import UNIT_COST, GmailUsage
from gmail_tickets.ports import (
    HistoryPage,
    MessageMeta,
    MessageRef,
    Profile,
    RawMessage,
    SentMessage,
    WatchResult,
)

__all__ = [
    "BATCH_MODIFY_MAX_IDS",
    "HISTORY_TYPES",
    "MAX_BATCH_CALLS",
    "MODIFY_MAX_IDS",
    "SEND_ATTEMPTS",
    "SEND_MAX_RETRY_AFTER",
    "UNIT_COST",
    "GmailMailbox",
    "GmailUsage",
    "flatten_history",
]


class GmailMailbox:
    """One Gmail account through the Gmail API. Implements `gmail_tickets.ports.Mailbox`.

    `root_url` points every call (normal, batch, upload) at another server, e.g. the devstack simulator;
    None means Google. `retry` sets the backoff (tests use millisecond delays). `service_factory` replaces
    how the per-thread client is built (it must return a fresh, unshared Gmail `Resource`).
    """

    def __init__(
        self,
        address: str,
        credentials: Credentials,
        root_url: str | None = None,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        batch_size: int = MAX_BATCH_CALLS,
        service_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.address = address
        self._credentials = credentials
        self._transport = GmailTransport(
            service_factory or (lambda: gmail_service(credentials, root_url, timeout=timeout)),
            retry=retry,
            batch_size=batch_size,
        )
        self.usage: GmailUsage = self._transport.usage

    @classmethod
    def from_refresh_token(
        cls,
        address: str,
        *,
        refresh_token: str,
        client_id: str,
        client_secret: str,
        token_uri: str = GOOGLE_TOKEN_URI,
        root_url: str | None = None,
        **kwargs: Any,
    ) -> GmailMailbox:
        """The usual way in: a stored refresh token and the deployer's OAuth client."""
        credentials = oauth_credentials(refresh_token, client_id, client_secret, token_uri)
        return cls(address, credentials, root_url, **kwargs)

    def __repr__(self) -> str:
        return f"GmailMailbox({self.address!r})"

    def close(self) -> None:
        """Close the calling thread's HTTP connections (other threads keep theirs)."""
        self._transport.close()

    def profile(self) -> Profile:
        data = self._transport.call("", "getProfile")
        return Profile(
            email_address=data["emailAddress"],
            history_id=int(data["historyId"]),
            messages_total=int(data.get("messagesTotal") or 0),
        )

    def ensure_label(self, name: str) -> str:
        return gmail_labels.ensure_label(self._transport, name)

    def history(
        self,
        start_history_id: int,
        *,
        label_id: str | None = None,
        history_types: Sequence[str] = ("messageAdded", "labelAdded"),
    ) -> Iterator[HistoryPage]:
        return gmail_history.history_pages(
            self._transport, start_history_id, label_id=label_id, history_types=history_types
        )

    def has_changes(
        self, start_history_id: int, *, history_types: Sequence[str] = ("messageAdded", "labelAdded"),
    ) -> bool:
        return gmail_history.has_changes(self._transport, start_history_id, history_types)

    def list_messages(
        self,
        query: str = "",
        *,
        label_ids: Sequence[str] = (),
        limit: int | None = None,
        include_spam_trash: bool = False,
    ) -> Iterator[MessageRef]:
        return gmail_history.list_messages(
            self._transport, query, label_ids=label_ids, limit=limit, include_spam_trash=include_spam_trash
        )

    def get_meta(self, ids: Sequence[str], headers: Sequence[str] = ()) -> dict[str, MessageMeta | None]:
        return gmail_messages.get_meta(self._transport, ids, headers)

    def get_raw(self, ids: Sequence[str]) -> dict[str, RawMessage | None]:
        return gmail_messages.get_raw(self._transport, ids)

    def modify_labels(self, ids: Sequence[str], add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        gmail_labels.modify_labels(self._transport, ids, add, remove)

    def send(self, raw: bytes, thread_id: str | None = None) -> SentMessage:
        return gmail_send.send(self._transport, raw, thread_id)

    def watch(self, topic_name: str, label_ids: Sequence[str] = ("INBOX",)) -> WatchResult:
        return gmail_watch.watch(self._transport, topic_name, label_ids)

    def stop_watch(self) -> None:
        gmail_watch.stop_watch(self._transport)
