"""Google's JSON error body and the one exception type every layer raises to produce it.

Clients tell errors apart by `errors[0].reason` (a retryable 403 from a permission 403), so every error
carries a reason and domain exactly as Google spells them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

REASONS = {
    400: "invalidArgument",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    409: "duplicate",
    429: "rateLimitExceeded",
    500: "backendError",
    503: "backendError",
}

USAGE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded", "quotaExceeded"}

UNAUTHENTICATED_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
CONCURRENCY_MESSAGE = "Too many concurrent requests for user"
SEND_LIMIT_SUFFIX = "(Mail sending)"
"""How Gmail marks its sending-limit error: "User-rate limit exceeded.  Retry after <time> (Mail sending)"."""
NOT_FOUND_MESSAGE = "Requested entity was not found."


@dataclass
class ApiError(Exception):
    """An error answer of the Gmail API; `headers` carries e.g. Retry-After or WWW-Authenticate."""

    status: int
    message: str
    reason: str | None = None
    domain: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    item_message: str | None = None

    def __post_init__(self) -> None:
        super().__init__(f"{self.status} {self.message}")
        if self.reason is None:
            self.reason = REASONS.get(self.status, "unknown")
        if self.domain is None:
            self.domain = "usageLimits" if self.reason in USAGE_LIMIT_REASONS else "global"

    def body(self) -> dict:
        item = {
            "message": self.item_message or self.message,
            "domain": self.domain,
            "reason": self.reason,
            **self.extra,
        }
        return {
            "error": {
                "code": self.status,
                "message": self.message,
                "errors": [item],
                "status": STATUS_NAMES.get(self.status, "UNKNOWN"),
            }
        }

    def body_bytes(self) -> bytes:
        return json.dumps(self.body()).encode()


def bad_request(message: str) -> ApiError:
    return ApiError(400, message, "invalidArgument")


def not_found(message: str = NOT_FOUND_MESSAGE) -> ApiError:
    return ApiError(404, message, "notFound")


def unauthenticated() -> ApiError:
    return ApiError(
        401,
        UNAUTHENTICATED_MESSAGE,
        "authError",
        headers=[("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/", error="invalid_token"')],
        extra={"location": "Authorization", "locationType": "header"},
        item_message="Invalid Credentials",
    )
