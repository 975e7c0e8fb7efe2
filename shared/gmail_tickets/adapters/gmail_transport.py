"""How one Gmail account's API calls are made: per-thread clients, counted attempts, backoff, HTTP batches.

- Gmail fails in ways that mean different things; `gmail_errors` turns each into the port's typed errors, and
  only 429, 5xx and rate-limit 403s are retried here (`gmail_retry`, with backoff). Inside a batch only the
  items that failed are retried; a 404 item is a per-item fact (None in the result), not an error.
- Reads go in HTTP batches of <= 50 calls: Gmail allows 100 per batch but throttles big ones.
- httplib2 is not thread-safe. Each thread that uses a transport gets its own service and connection pool
  (built lazily, `threading.local`); the counters are locked. Using one instance from several threads is safe;
  the google-auth credentials object is shared, and a concurrent refresh only stores a newer valid token.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from googleapiclient.errors import HttpError

from gmail_tickets.adapters.gmail_errors import BackoffRateLimited, BackoffServerError, translate
from gmail_tickets.adapters.gmail_retry import RetryPolicy, retry_after_of
from gmail_tickets.adapters.gmail_usage import GmailUsage
from gmail_tickets.errors import GmailTicketsError, MailboxError, MessageGone

V = TypeVar("V")

MAX_BATCH_CALLS = 50  # Gmail allows 100 per batch but throttles big batches; Google advises <= 50

ItemCallback = Callable[[str, Any, BaseException | None], None]


class GmailTransport:
    """Calls on one account's Gmail `Resource` (`userId="me"`), each attempt counted in `usage`.

    `service_factory` must return a fresh, unshared Gmail `Resource`; it is called once per thread.
    """

    def __init__(
        self,
        service_factory: Callable[[], Any],
        *,
        retry: RetryPolicy | None = None,
        batch_size: int = MAX_BATCH_CALLS,
    ) -> None:
        if not 1 <= batch_size <= 100:
            raise ValueError("batch_size must be between 1 and 100 (Gmail's limit)")
        self.usage = GmailUsage()
        self.retry = retry or RetryPolicy()
        self._batch_size = batch_size
        self._factory = service_factory
        self._local = threading.local()

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
            self._local.service = self._local.targets = self._local.targets_of = None
            service.close()

    def _request(self, resource: str, method: str, params: dict[str, Any]) -> Any:
        return getattr(self._resource(resource), method)(userId="me", **params)

    def _resource(self, resource: str) -> Any:
        """The calling thread's `users().<resource>()`, built once: the library builds a resource's every method
        anew on each `users()` and `messages()` (about a millisecond of CPU, per message of a batch)."""
        service = self._service()
        targets: dict[str, Any] = getattr(self._local, "targets", None) or {}
        if getattr(self._local, "targets_of", None) is not service:  # a new client (or the first): start over
            targets = {}
            self._local.targets, self._local.targets_of = targets, service
        target = targets.get(resource)
        if target is None:
            target = service.users()
            for part in filter(None, resource.split(".")):
                target = getattr(target, part)()
            targets[resource] = target
        return target

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

    def call(self, resource: str, method: str, *, retry_server_errors: bool = True,
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

        policy = retry or self.retry
        return policy.retrying(self._retryable(retry_server_errors), what=op)(self._attempts(attempt))

    def batch(
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

            self.retry.retrying(self._retryable(True), what=op)(self._attempts(attempt))
        return {key: results.get(key) for key in unique}

    def _send_batch(
        self,
        op: str,
        resource: str,
        method: str,
        keys: list[str],
        params: Callable[[str], dict[str, Any]],
        on_item: ItemCallback,
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
