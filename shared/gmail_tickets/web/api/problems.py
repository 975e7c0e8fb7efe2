"""Every API error in one shape: RFC 9457 problem details, served as `application/problem+json`."""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from pydantic import BaseModel, Field, ValidationError

PROBLEM_TYPE = "about:blank"  # RFC 9457: the title is the HTTP status phrase, the detail says what went wrong
MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    field: str = Field(description="Where the bad value is: `body.subject`, `query.limit`, `header.Idempotency-Key`.")
    message: str


class ProblemModel(BaseModel):
    """RFC 9457 problem details."""

    type: str = PROBLEM_TYPE
    title: str
    status: int
    detail: str = ""
    errors: list[FieldError] = Field(default_factory=list, description="Each refused field (422 only).")


class Problem(Exception):
    """Raise to answer with a problem; `headers` ride along (Retry-After on 429, WWW-Authenticate on 401)."""

    def __init__(self, status: int, title: str, detail: str = "", *, errors: list[FieldError] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or title)
        self.model = ProblemModel(title=title, status=status, detail=detail, errors=errors or [])
        self.headers = headers or {}

    def response(self) -> Response:
        return problem_response(self.model, self.headers)


def problem_response(model: ProblemModel, headers: dict[str, str] | None = None) -> Response:
    return Response(model.model_dump_json(), status=model.status, mimetype=MEDIA_TYPE, headers=headers or {})


def invalid(where: str, error: ValidationError) -> Problem:
    """A 422 naming every field pydantic refused."""
    errors = [FieldError(field=".".join([where, *(str(p) for p in e["loc"])]), message=e["msg"])
              for e in error.errors(include_url=False)]
    return Problem(422, "Unprocessable Content", "Some fields are not valid.", errors=errors)


def refused_field(field: str, message: str) -> Problem:
    return Problem(422, "Unprocessable Content", message, errors=[FieldError(field=field, message=message)])


def not_found(detail: str = "There is nothing here.") -> Problem:
    return Problem(404, "Not Found", detail)


def as_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
