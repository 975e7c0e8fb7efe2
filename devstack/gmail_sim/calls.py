"""One API call and its answer, independent of HTTP: the server, the batch endpoint and uploads all
turn their wire format into an `ApiRequest` and write out the `Reply`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, bad_request

JSON_TYPE = "application/json; charset=UTF-8"


@dataclass
class ApiRequest:
    method: str
    """Gmail method name without the `users.` prefix: "messages.get", "getProfile", "history.list"."""
    path_params: dict[str, str]
    query: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""
    token: str | None = None
    media: bytes | None = None
    """The uploaded message of a media upload (/upload/...); `body` then holds the JSON metadata, if any."""

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def params(self, name: str) -> list[str]:
        return [v for v in self.query.get(name, []) if v]

    def int_param(self, name: str, default: int, maximum: int | None = None) -> int:
        raw = self.param(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise bad_request(f"Invalid value for {name}: {raw}") from None
        if value < 0:
            raise bad_request(f"Invalid value for {name}: {raw}")
        return min(value, maximum) if maximum is not None else value

    def bool_param(self, name: str) -> bool:
        return (self.param(name) or "").lower() in ("true", "1")

    def json(self) -> dict[str, Any]:
        if not self.body.strip():
            return {}
        try:
            value = json.loads(self.body)
        except ValueError:
            raise bad_request("Invalid JSON payload received.") from None
        if not isinstance(value, dict):
            raise bad_request("Invalid JSON payload received.")
        return value


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_reply(value: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Reply:
    return Reply(status, json.dumps(value, separators=(",", ":")).encode(), JSON_TYPE, headers or [])


def error_reply(error: ApiError) -> Reply:
    return Reply(error.status, error.body_bytes(), JSON_TYPE, list(error.headers))
