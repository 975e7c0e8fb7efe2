"""The Mailbox port on the real Gmail API (google-api-python-client + google-auth).

Why it looks the way it does:
- Quota is the scarce thing (15,000 units per user per minute), so reads go in HTTP batches of <= 50 calls and
  label changes pick messages.modify or batchModify by cost. Every call is counted in `usage` (calls and units
  per method) so the benchmark can report Gmail units per mail.
- Gmail fails in ways that mean different things; `gmail_errors` turns each into the port's typed errors, and
  only 429, 5xx and rate-limit 403s are retried here (`gmail_retry`, with backoff). Inside a batch only the
  items that failed are retried; a 404 item is a per-item fact (None in the result), not an error.
- httplib2 is not thread-safe. Each thread that uses an instance gets its own service and connection pool
  (built lazily, `threading.local`); the counters are locked. Using one instance from several threads is safe;
  the google-auth credentials object is shared, and a concurrent refresh only stores a newer valid token.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from google.auth.credentials import Credentials
from googleapiclient.errors import HttpError

from gmail_tickets.adapters.gmail_client import GOOGLE_TOKEN_URI, gmail_service, oauth_credentials
from gmail_tickets.adapters.gmail_errors import (
    BackoffRateLimited,
    BackoffServerError,
    Conflict,
    translate,
)
from gmail_tickets.adapters.gmail_retry import RetryPolicy, retry_after_of
from gmail_tickets.errors import GmailTicketsError, MailboxError, MessageGone
from gmail_tickets.ports import (
    HistoryPage,
    HistoryRecord,
    MessageMeta,
    MessageRef,
    Profile,
    RawMessage,
    SentMessage,
    WatchResult,
)

log = logging.getLogger(__name__)

V = TypeVar("V")

SEND_ATTEMPTS = 2  # messages.send: one retry on a rate limit, at most …
SEND_MAX_RETRY_AFTER = 10.0  # … after this long; worst case ~70 s with 30 s timeouts, well inside a send lease

# Quota units per call (Gmail API usage limits). A batch of n calls costs the n calls.
UNIT_COST: dict[str, int] = {
    "getProfile": 1,
    "labels.list": 1,
    "labels.create": 5,
    "history.list": 2,
    "messages.list": 5,
    "messages.get": 5,
    "messages.attachments.get": 5,
    "messages.modify": 5,
    "messages.batchModify": 50,
    "messages.send": 100,
    "watch": 100,
    "stop": 50,
}

MAX_BATCH_CALLS = 50  # Gmail allows 100 per batch but throttles big batches; Google advises <= 50
MODIFY_MAX_IDS = 10  # up to here messages.modify (5 units each) costs no more than one batchModify (50)
BATCH_MODIFY_MAX_IDS = 1000
HISTORY_TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")
_HISTORY_FIELDS = (
    ("messagesAdded", "messageAdded"),
    ("messagesDeleted", "messageDeleted"),
    ("labelsAdded", "labelAdded"),
    ("labelsRemoved", "labelRemoved"),
)


class GmailUsage:
    """Calls and quota units spent, per API method; every attempt counts, retries included (Google counts
    the requests it receives). `http_requests` counts round trips: a batch of 50 calls is one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.units: Counter[str] = Counter()
        self.http_requests = 0
        self.retries = 0

    def record(self, method: str, count: int = 1) -> None:
        with self._lock:
            self.calls[method] += count
            self.units[method] += UNIT_COST.get(method, 0) * count
            self.http_requests += 1

    def record_retry(self) -> None:
        with self._lock:
            self.retries += 1

    @property
    def total_units(self) -> int:
        return sum(self.units.values())

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(self.calls),
                "units": dict(self.units),
                "total_calls": sum(self.calls.values()),
                "total_units": sum(self.units.values()),
                "http_requests": self.http_requests,
                "retries": self.retries,
            }

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.units.clear()
            self.http_requests = 0
            self.retries = 0


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
        if not 1 <= batch_size <= 100:
            raise ValueError("batch_size must be between 1 and 100 (Gmail's limit)")
        self.address = address
        self.usage = GmailUsage()
        self._credentials = credentials
        self._retry = retry or RetryPolicy()
        self._batch_size = batch_size
        self._factory = service_factory or (lambda: gmail_service(credentials, root_url, timeout=timeout))
        self._local = threading.local()

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

    # ------------------------------------------------------------------ plumbing

    def _service(self) -> Any:
        service = getattr(self._local, "service", None)
        if service is None:
            service = self._factory()
            self._local.service = service
        return service

    def close(self) -> None:
        """Close the calling thread's HTTP connections (other threads keep theirs)."""
        service = getattr(self._local, "service", None)
        if service is not None:
            self._local.service = None
            service.close()

    def _request(self, resource: str, method: str, params: dict[str, Any]) -> Any:
        target = self._service().users()
        for part in filter(None, resource.split(".")):
            target = getattr(target, part)()
        return getattr(target, method)(userId="me", **params)

    @staticmethod
    def _op(resource: str, method: str) -> str:
        return f"{resource}.{method}" if resource else method

    @staticmethod
    def _retryable(retry_server_errors: bool) -> Callable[[BaseException], bool]:
        def retryable(exc: BaseException) -> bool:
            return isinstance(exc, BackoffRateLimited) or (
                retry_server_errors and isinstance(exc, BackoffServerError)
            )

        return retryable

    def _attempts(self, fn: Callable[[], V]) -> Callable[[], V]:
        """`fn`, counting every call after the first as a retry in `usage`."""
        calls = 0

        def counted() -> V:
            nonlocal calls
            calls += 1
            if calls > 1:
                self.usage.record_retry()
            return fn()

        return counted

    def _call(self, resource: str, method: str, *, retry_server_errors: bool = True,
              retry: RetryPolicy | None = None, **params: Any) -> Any:
        """One API call with backoff; library errors come out as port errors."""
        op = self._op(resource, method)

        def attempt() -> Any:
            request = self._request(resource, method, params)
            self.usage.record(op)
            try:
                return request.execute()
            except Exception as exc:
                err = translate(exc, op)
                if err is None:
                    raise
                raise err from None  # never chain: the library error may quote bodies

        policy = retry or self._retry
        return policy.retrying(self._retryable(retry_server_errors), what=op)(self._attempts(attempt))

    def _batch(
        self,
        resource: str,
        method: str,
        keys: Sequence[str],
        params: Callable[[str], dict[str, Any]],
        parse: Callable[[dict[str, Any]], V],
    ) -> dict[str, V | None]:
        """Run one call per key in HTTP batches of <= batch_size, retrying only the items that failed
        retryably. A 404 item maps to None; any other failure fails the whole call."""
        op = self._op(resource, method)
        unique = list(dict.fromkeys(keys))
        results: dict[str, V | None] = {}
        for start in range(0, len(unique), self._batch_size):
            chunk = unique[start : start + self._batch_size]
            pending = list(chunk)

            def attempt(chunk: list[str] = chunk, pending: list[str] = pending) -> None:
                failed: dict[str, GmailTicketsError] = {}

                def on_item(key: str, response: Any, exception: BaseException | None) -> None:
                    if exception is None:
                        try:
                            results[key] = parse(response)
                        except (KeyError, TypeError, ValueError):
                            failed[key] = MailboxError(f"Gmail {op}: unexpected response shape")
                        return
                    err = translate(exception, op)
                    if err is None:
                        raise exception
                    if isinstance(err, MessageGone):
                        results[key] = None
                    else:
                        failed[key] = err

                self._send_batch(op, resource, method, pending, params, on_item)
                fatal = [e for e in failed.values() if not isinstance(e, BackoffRateLimited | BackoffServerError)]
                if fatal:
                    raise fatal[0]
                pending[:] = [key for key in pending if key in failed]
                if pending:
                    raise _batch_failure(op, [failed[k] for k in pending], len(chunk))

            self._retry.retrying(self._retryable(True), what=op)(self._attempts(attempt))
        return {key: results.get(key) for key in unique}

    def _send_batch(
        self,
        op: str,
        resource: str,
        method: str,
        keys: list[str],
        params: Callable[[str], dict[str, Any]],
        on_item: Callable[[str, Any, BaseException | None], None],
    ) -> None:
        """One HTTP round trip for `keys` (a plain call when there is only one: a batch would add nothing)."""
        self.usage.record(op, len(keys))
        try:
            if len(keys) == 1:
                try:
                    response = self._request(resource, method, params(keys[0])).execute()
                except HttpError as exc:  # an answer about this one call: judged like a batch item
                    on_item(keys[0], None, exc)
                else:
                    on_item(keys[0], response, None)
                return
            batch = self._service().new_batch_http_request(callback=on_item)
            for key in keys:
                batch.add(self._request(resource, method, params(key)), request_id=key)
            batch.execute()
        except GmailTicketsError:
            raise
        except Exception as exc:
            err = translate(exc, op)
            if err is None:
                raise
            raise err from None

    # ------------------------------------------------------------------ the port

    def profile(self) -> Profile:
        data = self._call("", "getProfile")
        return Profile(
            email_address=data["emailAddress"],
            history_id=int(data["historyId"]),
            messages_total=int(data.get("messagesTotal") or 0),
        )

    def ensure_label(self, name: str) -> str:
        """Find the label case-insensitively (as Gmail compares names); create it if missing. A 409 means
        someone created it between our list and create: list again and reuse theirs."""
        found = self._find_label(name)
        if found:
            return found
        try:
            created = self._call(
                "labels", "create",
                body={"name": name, "labelListVisibility": "labelShow", "messageListVisibility": "show"},
            )
            return str(created["id"])
        except Conflict:
            found = self._find_label(name)
            if found:
                return found
            raise MailboxError(f"Gmail labels.create: name conflicts but no label matches {name!r}") from None

    def _find_label(self, name: str) -> str | None:
        wanted = name.casefold()
        for label in self._call("labels", "list").get("labels") or ():
            if str(label.get("name", "")).casefold() == wanted:
                return str(label["id"])
        return None

    def history(
        self,
        start_history_id: int,
        *,
        label_id: str | None = None,
        history_types: Sequence[str] = ("messageAdded", "labelAdded"),
    ) -> Iterator[HistoryPage]:
        """Pages of changes after `start_history_id`. Raises HistoryExpired on Gmail's 404 (the cursor is
        too old: full sync). Only the last page carries the new cursor."""
        page_token: str | None = None
        while True:
            data = self._call(
                "history", "list",
                startHistoryId=str(start_history_id),
                historyTypes=list(history_types) or None,
                labelId=label_id,
                maxResults=500,
                pageToken=page_token,
            )
            page_token = data.get("nextPageToken")
            yield HistoryPage(
                records=flatten_history(data.get("history") or ()),
                history_id=None if page_token else int(data["historyId"]),
            )
            if not page_token:
                return

    def list_messages(
        self,
        query: str = "",
        *,
        label_ids: Sequence[str] = (),
        limit: int | None = None,
        include_spam_trash: bool = False,
    ) -> Iterator[MessageRef]:
        remaining = limit
        page_token: str | None = None
        while remaining is None or remaining > 0:
            data = self._call(
                "messages", "list",
                q=query or None,
                labelIds=list(label_ids) or None,
                includeSpamTrash=include_spam_trash,
                maxResults=500 if remaining is None else min(500, remaining),
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

    def get_meta(self, ids: Sequence[str], headers: Sequence[str] = ()) -> dict[str, MessageMeta | None]:
        """format=minimal, or format=metadata with just the named headers when some are asked for."""
        if not headers:
            return self._batch("messages", "get", ids, lambda mid: {"id": mid, "format": "minimal"}, _parse_meta)
        wanted = list(headers)
        return self._batch(
            "messages", "get", ids,
            lambda mid: {"id": mid, "format": "metadata", "metadataHeaders": wanted}, _parse_meta,
        )

    def get_raw(self, ids: Sequence[str]) -> dict[str, RawMessage | None]:
        return self._batch("messages", "get", ids, lambda mid: {"id": mid, "format": "raw"}, _parse_raw)

    def modify_labels(self, ids: Sequence[str], add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        """Per chunk of <= 1000 ids: messages.modify (5 units each, one HTTP batch) for <= 10 ids, else one
        batchModify (50 units). Messages that are gone are skipped."""
        unique = list(dict.fromkeys(ids))
        if not unique or not (add or remove):
            return
        labels = {"addLabelIds": list(add), "removeLabelIds": list(remove)}
        for start in range(0, len(unique), BATCH_MODIFY_MAX_IDS):
            chunk = unique[start : start + BATCH_MODIFY_MAX_IDS]
            if len(chunk) <= MODIFY_MAX_IDS:
                self._batch("messages", "modify", chunk, lambda mid: {"id": mid, "body": labels}, _ignore)
            else:
                self._call("messages", "batchModify", body={"ids": chunk, **labels})

    def send(self, raw: bytes, thread_id: str | None = None) -> SentMessage:
        """Send RFC 822 bytes. Retried only on rate limits (Gmail rejected it unseen), and briefly: a sender holds
        its notification under a lease, and a send outlasting it could be repeated by another instance. Longer
        waits are the outbox's job. A 5xx or a dropped connection is not retried: the mail may have gone out."""
        body: dict[str, Any] = {"raw": base64.urlsafe_b64encode(raw).decode("ascii")}
        if thread_id:
            body["threadId"] = thread_id
        retry = replace(self._retry, max_attempts=min(self._retry.max_attempts, SEND_ATTEMPTS),
                        max_retry_after=min(self._retry.max_retry_after, SEND_MAX_RETRY_AFTER))
        data = self._call("messages", "send", retry_server_errors=False, retry=retry, body=body)
        return SentMessage(id=str(data["id"]), thread_id=str(data.get("threadId", "")))

    def watch(self, topic_name: str, label_ids: Sequence[str] = ("INBOX",)) -> WatchResult:
        body: dict[str, Any] = {"topicName": topic_name}
        if label_ids:
            body["labelIds"] = list(label_ids)
            body["labelFilterBehavior"] = "include"
        data = self._call("", "watch", body=body)
        return WatchResult(history_id=int(data["historyId"]), expiration=_from_ms(data["expiration"]))

    def stop_watch(self) -> None:
        self._call("", "stop")


# ---------------------------------------------------------------------- helpers


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


def _from_ms(value: str | int) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def _parse_meta(data: dict[str, Any]) -> MessageMeta:
    return MessageMeta(
        id=str(data["id"]),
        thread_id=str(data["threadId"]),
        label_ids=tuple(data.get("labelIds") or ()),
        size_estimate=int(data.get("sizeEstimate") or 0),
        history_id=int(data["historyId"]),
        internal_date=_from_ms(data["internalDate"]),
        headers={h["name"].lower(): h["value"] for h in (data.get("payload") or {}).get("headers", [])},
    )


def _parse_raw(data: dict[str, Any]) -> RawMessage:
    raw = str(data["raw"])
    meta = _parse_meta(data)
    return RawMessage(
        id=meta.id,
        thread_id=meta.thread_id,
        label_ids=meta.label_ids,
        size_estimate=meta.size_estimate,
        history_id=meta.history_id,
        internal_date=meta.internal_date,
        raw=base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)),
    )


def _ignore(data: dict[str, Any]) -> bool:
    return True


def _batch_failure(op: str, errors: list[GmailTicketsError], total: int) -> GmailTicketsError:
    """One retryable error standing for the items still failing; waits as long as the most demanding one."""
    rate_limited = [e for e in errors if isinstance(e, BackoffRateLimited)]
    sample = (rate_limited or errors)[0]
    waits = [w for w in (retry_after_of(e) for e in errors) if w is not None]
    message = f"{len(errors)} of {total} {op} calls failed; first: {sample}"
    status = getattr(sample, "status", None)
    if isinstance(sample, BackoffRateLimited):
        return BackoffRateLimited(message, status=status, retry_after=max(waits) if waits else None)
    return BackoffServerError(message, status=status, retry_after=max(waits) if waits else None)
