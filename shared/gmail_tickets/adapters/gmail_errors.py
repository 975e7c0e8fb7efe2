"""Translate google-api-python-client / google-auth failures into the port's typed errors.

Services decide on meaning (retry, skip, disconnect, fall back), so every HTTP detail stops here. Gmail's
`reason` field, not the status, tells a rate-limit 403 from a permission 403. Messages we build carry the
operation, status, reason and Gmail's short message with any quoted value cut out (Google echoes invalid input
in quotes, which could be mail content); the library exception is never chained, so neither bodies nor
tokens reach a traceback or a log line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import BatchError, HttpError

from gmail_tickets.adapters.gmail_retry import parse_retry_after
from gmail_tickets.errors import (
    GmailTicketsError,
    HistoryExpired,
    MailboxError,
    MessageGone,
    RateLimited,
    SendLimitReached,
    TokenRevoked,
    TransientError,
)

RATE_LIMIT_REASONS = frozenset({"ratelimitexceeded", "userratelimitexceeded", "rate_limit_exceeded"})
SEND_LIMIT_PHRASES = ("mail sending", "sending limit")
SEND_LIMIT_REASONS = frozenset({"dailylimitexceeded"})
_MAX_MESSAGE = 160


class BackoffRateLimited(RateLimited):
    """429 or rate-limit 403: worth retrying here after a wait (Retry-After when Gmail gave one)."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class BackoffServerError(TransientError):
    """5xx or a transport failure: worth retrying here, except where a retry could repeat a side effect."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class Conflict(MailboxError):
    """409: the thing exists already (labels.create with a taken name)."""


@dataclass(frozen=True)
class GoogleError:
    """What matters of one Google JSON error response."""

    status: int
    reasons: tuple[str, ...]  # errors[].reason, ErrorInfo details[].reason, then error.status
    message: str  # sanitised
    raw_message: str  # unsanitised, for phrase matching only; never put into an exception
    retry_after: float | None

    def has_reason(self, wanted: frozenset[str]) -> bool:
        return any(r.lower() in wanted for r in self.reasons)

    def describe(self, op: str) -> str:
        reason = self.reasons[0] if self.reasons else "-"
        return f"Gmail {op}: HTTP {self.status} {reason}: {self.message}"


def sanitize(message: str) -> str:
    """Gmail's error message minus quoted values (which may echo our input), cut to a sane length."""
    cleaned = re.sub(r'"[^"]*"|\'[^\']*\'', '"…"', message)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= _MAX_MESSAGE else cleaned[: _MAX_MESSAGE - 1] + "…"


def parse_http_error(exc: HttpError) -> GoogleError:
    status = int(getattr(exc.resp, "status", 0) or 0)
    reasons: list[str] = []
    message = ""
    try:
        data: Any = json.loads(exc.content.decode("utf-8")) if exc.content else None
    except (UnicodeDecodeError, ValueError):
        data = None
    if isinstance(data, list) and data:
        data = data[0]
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or "")
        for key in ("errors", "details"):
            for item in error.get(key) or ():
                if isinstance(item, dict) and item.get("reason"):
                    reasons.append(str(item["reason"]))
        if error.get("status"):
            reasons.append(str(error["status"]))
    elif isinstance(error, str):  # OAuth-style {"error": "invalid_token"}
        reasons.append(error)
    if not message:
        message = str(getattr(exc.resp, "reason", "") or "")
    header = exc.resp.get("retry-after") if hasattr(exc.resp, "get") else None
    return GoogleError(
        status=status,
        reasons=tuple(reasons),
        message=sanitize(message),
        raw_message=message,
        retry_after=parse_retry_after(header),
    )


_RETRY_AFTER_TIME = re.compile(r"retry after (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)", re.IGNORECASE)


def retry_after_time(message: str) -> datetime | None:
    """The moment in Gmail's "User-rate limit exceeded.  Retry after 2024-11-12T11:16:42.247Z (Mail sending)",
    as an aware UTC datetime; None when the message names none."""
    match = _RETRY_AFTER_TIME.search(message)
    if match is None:
        return None
    try:
        return datetime.fromisoformat(match.group(1).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def is_send_limit(err: GoogleError) -> bool:
    """Gmail's rolling daily sending limit: fall back to the relay now, retrying only burns hours."""
    if err.status not in (403, 429):
        return False
    text = err.raw_message.lower()
    if any(phrase in text for phrase in SEND_LIMIT_PHRASES):
        return True
    return err.has_reason(SEND_LIMIT_REASONS)


def translate_http_error(exc: HttpError, op: str) -> GmailTicketsError:
    """One HttpError from operation `op` (e.g. "messages.get") as a port error."""
    err = parse_http_error(exc)
    text = err.describe(op)
    if err.status == 401:
        # google-auth already refreshed the token and retried: the grant no longer works.
        return TokenRevoked(f"Gmail {op}: HTTP 401 after a token refresh")
    if op == "messages.send" and is_send_limit(err):
        return SendLimitReached(text, retry_at=retry_after_time(err.raw_message))
    if err.status == 429 or (err.status == 403 and err.has_reason(RATE_LIMIT_REASONS)):
        return BackoffRateLimited(text, status=err.status, retry_after=err.retry_after)
    if err.status >= 500:
        return BackoffServerError(text, status=err.status, retry_after=err.retry_after)
    if err.status == 404:
        if op == "history.list":
            return HistoryExpired(text)
        if op in ("messages.get", "messages.modify"):
            return MessageGone(text)
    if err.status == 409:
        return Conflict(text)
    if err.status == 403 and err.has_reason(SEND_LIMIT_REASONS):
        # A daily quota on anything but sending: no point retrying within this invocation.
        return RateLimited(text)
    return MailboxError(text)


def translate_refresh_error(exc: auth_exceptions.RefreshError) -> GmailTicketsError:
    """google-auth could not refresh the access token."""
    code = _oauth_error_code(exc)
    if code == "invalid_grant":
        return TokenRevoked("token refresh failed: invalid_grant (refresh token expired or revoked)")
    if getattr(exc, "retryable", False):
        return TransientError(f"token refresh failed temporarily: {code or 'unknown error'}")
    return MailboxError(f"token refresh failed: {code or 'unknown error'}")


def _oauth_error_code(exc: auth_exceptions.RefreshError) -> str:
    for arg in exc.args:
        if isinstance(arg, dict) and isinstance(arg.get("error"), str):
            return str(arg["error"])
    first = str(exc.args[0]) if exc.args else ""
    match = re.match(r"\s*([a-z_]+)\s*:", first)
    if match:
        return match.group(1)
    return "invalid_grant" if "invalid_grant" in first else ""


def translate(exc: BaseException, op: str) -> GmailTicketsError | None:
    """The port error for a library failure, or None when `exc` is not a Gmail/transport failure (a bug)."""
    if isinstance(exc, GmailTicketsError):
        return exc
    if isinstance(exc, BatchError):
        return MailboxError(f"Gmail {op}: malformed batch response")
    if isinstance(exc, HttpError):
        return translate_http_error(exc, op)
    if isinstance(exc, auth_exceptions.RefreshError):
        return translate_refresh_error(exc)
    if isinstance(exc, auth_exceptions.TransportError | httplib2.HttpLib2Error | OSError):
        return BackoffServerError(f"Gmail {op}: transport error ({type(exc).__name__})")
    return None
