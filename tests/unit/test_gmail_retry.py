"""Pure logic of the Gmail adapter: the backoff policy, Retry-After parsing, the error translation table and
history flattening. No network: HttpErrors are built by hand the way google-api-python-client builds them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httplib2
import pytest
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from gmail_tickets.adapters.gmail_api import UNIT_COST, GmailMailbox, GmailUsage, flatten_history
from gmail_tickets.adapters.gmail_errors import (
    BackoffRateLimited,
    BackoffServerError,
    Conflict,
    retry_after_time,
    sanitize,
    translate,
)
from gmail_tickets.adapters.gmail_retry import RetryPolicy, parse_retry_after
from gmail_tickets.errors import (
    HistoryExpired,
    MailboxError,
    MessageGone,
    RateLimited,
    SendLimitReached,
    TokenRevoked,
    TransientError,
)

# --------------------------------------------------------------------------- backoff


class Flaky(Exception):
    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__("flaky")
        self.retry_after = retry_after


class Fatal(Exception):
    pass


def policy(**kw: Any) -> tuple[RetryPolicy, list[float]]:
    slept: list[float] = []
    kw.setdefault("rng", lambda: 0.5)
    return RetryPolicy(sleep=slept.append, **kw), slept


def failing(times: int, exc: BaseException) -> Any:
    calls = {"n": 0}

    def fn() -> str:
        calls["n"] += 1
        if calls["n"] <= times:
            raise exc
        return "ok"

    fn.calls = calls  # type: ignore[attr-defined]
    return fn


def test_backoff_doubles_from_one_second_adds_jitter_and_caps() -> None:
    p, _ = policy(initial_delay=1.0, max_delay=8.0, jitter=1.0)
    assert [p.backoff(n) for n in range(1, 7)] == [1.5, 2.5, 4.5, 8.5, 8.5, 8.5]


def test_jitter_spreads_waits_within_bounds() -> None:
    waits = {RetryPolicy(jitter=1.0).backoff(2) for _ in range(50)}
    assert all(2.0 <= w <= 3.0 for w in waits)
    assert len(waits) > 1  # real randomness by default: workers do not retry in lockstep


def test_retries_until_success_with_growing_waits() -> None:
    p, slept = policy(max_attempts=5, initial_delay=0.01, max_delay=1.0, jitter=0.0)
    fn = failing(3, Flaky())
    assert p.retrying(lambda e: isinstance(e, Flaky))(fn) == "ok"
    assert fn.calls["n"] == 4
    assert slept == [0.01, 0.02, 0.04]


def test_gives_up_after_max_attempts_and_reraises_the_last_error_with_a_note() -> None:
    p, slept = policy(max_attempts=3, initial_delay=0.0, jitter=0.0)
    err = Flaky()
    fn = failing(10, err)
    with pytest.raises(Flaky) as info:
        p.retrying(lambda e: isinstance(e, Flaky))(fn)
    assert info.value is err
    assert fn.calls["n"] == 3
    assert len(slept) == 2
    assert "gave up after 3 attempts" in "".join(getattr(info.value, "__notes__", []))


def test_non_retryable_errors_are_raised_at_once() -> None:
    p, slept = policy()
    fn = failing(1, Fatal())
    with pytest.raises(Fatal):
        p.retrying(lambda e: isinstance(e, Flaky))(fn)
    assert fn.calls["n"] == 1
    assert slept == []


def test_retry_after_is_honoured_when_longer_than_the_backoff() -> None:
    p, slept = policy(initial_delay=0.01, jitter=0.0, max_retry_after=10.0)
    assert p.retrying(lambda e: isinstance(e, Flaky))(failing(1, Flaky(retry_after=3.0))) == "ok"
    assert slept == [3.0]
    p, slept = policy(initial_delay=0.5, jitter=0.0)
    p.retrying(lambda e: isinstance(e, Flaky))(failing(1, Flaky(retry_after=0.1)))
    assert slept == [0.5]  # never earlier than the backoff either


def test_a_retry_after_beyond_the_limit_stops_at_once() -> None:
    p, slept = policy(max_attempts=5, max_retry_after=30.0)
    fn = failing(5, Flaky(retry_after=3600.0))
    with pytest.raises(Flaky):
        p.retrying(lambda e: isinstance(e, Flaky))(fn)
    assert fn.calls["n"] == 1
    assert slept == []


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(initial_delay=-1)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("5", 5.0), (" 0.25 ", 0.25), ("-3", 0.0), ("", None), (None, None), ("soon", None), ("nan", None)],
)
def test_parse_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    now = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(header, now=now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=9), usegmt=True), now=now) == 0.0


# --------------------------------------------------------------------------- error translation


def http_error(
    status: int, reason: str | None = None, message: str = "boom", headers: dict[str, str] | None = None,
) -> HttpError:
    error: dict[str, Any] = {"code": status, "message": message}
    if reason:
        error["errors"] = [{"domain": "global", "reason": reason, "message": message}]
    resp = httplib2.Response({"status": str(status), **(headers or {})})
    return HttpError(resp, json.dumps({"error": error}).encode(), uri="http://x/gmail/v1/users/me/y")


@pytest.mark.parametrize(
    ("status", "reason", "op", "expected"),
    [
        (429, "rateLimitExceeded", "messages.get", BackoffRateLimited),
        (429, None, "messages.list", BackoffRateLimited),
        (403, "rateLimitExceeded", "messages.get", BackoffRateLimited),
        (403, "userRateLimitExceeded", "history.list", BackoffRateLimited),
        (403, "insufficientPermissions", "messages.get", MailboxError),
        (403, "forbidden", "messages.send", MailboxError),
        (500, "backendError", "messages.get", BackoffServerError),
        (503, None, "watch", BackoffServerError),
        (404, "notFound", "history.list", HistoryExpired),
        (404, "notFound", "messages.get", MessageGone),
        (404, "notFound", "labels.create", MailboxError),
        (409, "duplicate", "labels.create", Conflict),
        (400, "invalidArgument", "messages.send", MailboxError),
        (401, "authError", "messages.get", TokenRevoked),
    ],
)
def test_http_errors_map_to_port_errors(status: int, reason: str | None, op: str, expected: type) -> None:
    err = translate(http_error(status, reason), op)
    assert type(err) is expected


def test_rate_limits_are_rate_limited_and_server_errors_transient() -> None:
    assert isinstance(translate(http_error(429), "x"), RateLimited)
    assert isinstance(translate(http_error(502), "x"), TransientError)
    assert not isinstance(translate(http_error(403, "forbidden"), "x"), TransientError)


def test_retry_after_header_is_carried() -> None:
    err = translate(http_error(429, headers={"retry-after": "7"}), "messages.get")
    assert isinstance(err, BackoffRateLimited)
    assert err.retry_after == 7.0


def test_error_info_reason_in_details_counts_too() -> None:
    body = {"error": {"code": 403, "message": "Quota exceeded", "status": "PERMISSION_DENIED",
                      "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                   "reason": "RATE_LIMIT_EXCEEDED"}]}}
    exc = HttpError(httplib2.Response({"status": "403"}), json.dumps(body).encode())
    assert isinstance(translate(exc, "messages.get"), BackoffRateLimited)


@pytest.mark.parametrize(
    ("status", "reason", "message"),
    [
        (429, "userRateLimitExceeded", "User-rate limit exceeded (Mail sending)"),
        (403, "userRateLimitExceeded", "Daily user sending limit exceeded."),
        (403, "dailyLimitExceeded", "Daily Limit Exceeded"),
    ],
)
def test_sending_limit_is_send_limit_reached_and_not_retryable(status: int, reason: str, message: str) -> None:
    err = translate(http_error(status, reason, message), "messages.send")
    assert type(err) is SendLimitReached


def test_concurrency_429_on_send_is_still_a_plain_rate_limit() -> None:
    err = translate(http_error(429, "rateLimitExceeded", "Too many concurrent requests for user"), "messages.send")
    assert type(err) is BackoffRateLimited


def test_messages_never_carry_quoted_input() -> None:
    secret = "Subject: payroll\\r\\n\\r\\nsecret body"
    exc = http_error(400, "invalidArgument", f'Invalid value at \'message.raw\', decoding failed for "{secret}"')
    err = translate(exc, "messages.send")
    assert err is not None
    assert "secret" not in str(err)
    assert "payroll" not in str(err)
    assert "HTTP 400" in str(err)
    assert len(sanitize("x" * 1000)) <= 160


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (RefreshError("invalid_grant: Token has been expired or revoked.",
                      {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}),
         TokenRevoked),
        (RefreshError("invalid_grant: Bad Request"), TokenRevoked),
        (RefreshError("invalid_client: Unauthorized", {"error": "invalid_client"}), MailboxError),
        (RefreshError("server_error: x", {"error": "server_error"}, retryable=True), TransientError),
    ],
)
def test_refresh_errors(exc: RefreshError, expected: type) -> None:
    err = translate(exc, "getProfile")
    assert type(err) is expected


def test_transport_errors_are_retryable_server_errors() -> None:
    assert isinstance(translate(ConnectionRefusedError(), "messages.get"), BackoffServerError)
    assert isinstance(translate(TimeoutError(), "messages.get"), BackoffServerError)
    assert translate(KeyError("bug"), "messages.get") is None


# --------------------------------------------------------------------------- history and usage


def test_flatten_history_one_record_per_message_per_typed_field() -> None:
    history = [
        {"id": "101", "messages": [{"id": "m1", "threadId": "t1"}],
         "messagesAdded": [{"message": {"id": "m1", "threadId": "t1", "labelIds": ["INBOX", "UNREAD"]}}]},
        {"id": "105", "messages": [{"id": "m1", "threadId": "t1"}, {"id": "m2", "threadId": "t2"}],
         "labelsAdded": [{"message": {"id": "m1", "threadId": "t1", "labelIds": ["INBOX", "TRASH"]},
                          "labelIds": ["TRASH"]},
                         {"message": {"id": "m2", "threadId": "t2", "labelIds": ["INBOX", "Label_1"]},
                          "labelIds": ["Label_1"]}],
         "labelsRemoved": [{"message": {"id": "m1", "threadId": "t1", "labelIds": ["TRASH"]},
                            "labelIds": ["INBOX"]}]},
        {"id": "109", "messagesDeleted": [{"message": {"id": "m3", "threadId": "t3"}}]},
    ]
    records = flatten_history(history)
    assert [(r.history_id, r.kind, r.message.id) for r in records] == [
        (101, "messageAdded", "m1"),
        (105, "labelAdded", "m1"),
        (105, "labelAdded", "m2"),
        (105, "labelRemoved", "m1"),
        (109, "messageDeleted", "m3"),
    ]
    assert records[0].label_ids == ("INBOX", "UNREAD")
    assert records[0].changed_label_ids == ()
    assert records[1].changed_label_ids == ("TRASH",)
    assert records[3].changed_label_ids == ("INBOX",)
    assert records[4].message.thread_id == "t3"


def test_usage_counts_units_from_the_table() -> None:
    usage = GmailUsage()
    usage.record("messages.get", 50)
    usage.record("messages.batchModify")
    usage.record("history.list")
    assert usage.calls["messages.get"] == 50
    assert usage.units["messages.get"] == 250
    assert usage.total_units == 250 + 50 + 2
    assert usage.http_requests == 3
    assert usage.snapshot()["total_calls"] == 52
    assert UNIT_COST["messages.send"] == 100


# --------------------------------------------------------------------------- label changes by cost


class _Request:
    def __init__(self, log: list[tuple[str, int]], name: str, ids: int) -> None:
        self.log, self.name, self.ids = log, name, ids

    def execute(self) -> dict[str, Any]:
        self.log.append((self.name, self.ids))
        return {}


class _Batch:
    def __init__(self, log: list[tuple[str, int]], callback: Any) -> None:
        self.log, self.callback, self.items = log, callback, []

    def add(self, request: _Request, request_id: str) -> None:
        self.items.append((request_id, request))

    def execute(self) -> None:
        self.log.append(("batch", len(self.items)))
        for request_id, request in self.items:
            self.callback(request_id, request.execute(), None)


class _FakeGmail:
    """Just enough of a Gmail `Resource` to see which calls modify_labels chooses."""

    def __init__(self) -> None:
        self.log: list[tuple[str, int]] = []

    def users(self) -> _FakeGmail:
        return self

    def messages(self) -> _FakeGmail:
        return self

    def modify(self, userId: str, id: str, body: dict[str, Any]) -> _Request:
        return _Request(self.log, "modify", 1)

    def batchModify(self, userId: str, body: dict[str, Any]) -> _Request:
        return _Request(self.log, "batchModify", len(body["ids"]))

    def new_batch_http_request(self, callback: Any) -> _Batch:
        return _Batch(self.log, callback)

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("count", "calls", "units"),
    [
        (1, [("modify", 1)], 5),
        (10, [("batch", 10)] + [("modify", 1)] * 10, 50),
        (11, [("batchModify", 11)], 50),
        (1000, [("batchModify", 1000)], 50),
        (1003, [("batchModify", 1000), ("batch", 3)] + [("modify", 1)] * 3, 65),
        (2011, [("batchModify", 1000), ("batchModify", 1000), ("batchModify", 11)], 150),
    ],
)
def test_modify_labels_picks_the_cheapest_call_per_chunk(count: int, calls: list[Any], units: int) -> None:
    fake = _FakeGmail()
    mailbox = GmailMailbox("a@example.com", None, service_factory=lambda: fake)  # type: ignore[arg-type]
    mailbox.modify_labels([f"m{i}" for i in range(count)], add=["Label_1"])
    assert fake.log == calls
    assert mailbox.usage.total_units == units


@pytest.mark.parametrize(("message", "expected"), [
    ("User-rate limit exceeded.  Retry after 2024-11-12T11:16:42.247Z (Mail sending)",
     datetime(2024, 11, 12, 11, 16, 42, 247000, tzinfo=UTC)),
    ("User-rate limit exceeded.  Retry after 2024-11-12T11:16:42Z (Mail sending)",
     datetime(2024, 11, 12, 11, 16, 42, tzinfo=UTC)),
    ("User-rate limit exceeded (Mail sending)", None),
    ("Retry after 2024-13-40T99:99:99Z", None),
])
def test_the_retry_time_in_gmails_send_limit_message(message: str, expected: datetime | None) -> None:
    assert retry_after_time(message) == expected
