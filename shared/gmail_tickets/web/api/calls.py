"""How one API request runs: the token and its rate (auth.py), the role, the query and body checked against the
operation's models, then the handler; POSTs with an Idempotency-Key run at most once per key and token, and a
retry gets the first response again."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from gmail_tickets.domain.api_access import CLAIM_LIFETIME, ApiToken, IdempotentResponse, fingerprint, idempotency_key
from gmail_tickets.domain.people import Agent
from gmail_tickets.services.deps import Deps
from gmail_tickets.web.api.auth import RateLimit, authenticate
from gmail_tickets.web.api.problems import Problem, invalid, refused_field
from gmail_tickets.web.api.registry import Operation

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@dataclass(frozen=True)
class Call:
    deps: Deps
    agent: Agent
    token: ApiToken
    query: Any = None
    body: Any = None


@dataclass(frozen=True)
class Answer:
    model: BaseModel | None
    status: int = 200
    location: str = ""
    etag: str = ""


def _parse(model: type[BaseModel] | None, data: Any, where: str) -> Any:
    if model is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid(where, error) from error


def _body(op: Operation) -> Any:
    if op.upload_limit is not None:
        return _file(op.upload_limit)
    if op.body is None:
        return None
    if not request.is_json:
        raise Problem(415, "Unsupported Media Type", "Send the body as JSON (Content-Type: application/json).")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Problem(400, "Bad Request", "The body must be one JSON object.")
    return _parse(op.body, data, "body")


def _file(limit: int) -> bytes:
    """A file's raw bytes: this request's own size limit (Flask 3.1), above the API's 256 KiB for JSON."""
    request.max_content_length = limit
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge as error:
        raise Problem(413, "Content Too Large", f"A file may be at most {limit // (1024 * 1024)} MB.") from error


def _response(answer: Answer | BaseModel) -> Response:
    if isinstance(answer, BaseModel):
        answer = Answer(answer)
    body = answer.model.model_dump_json() if answer.model is not None else ""
    response = Response(body, status=answer.status, mimetype="application/json" if body else None)
    if answer.location:
        response.headers["Location"] = answer.location
    if answer.etag:
        response.headers["ETag"] = answer.etag
    return response


def view(op: Operation, deps: Deps, limit: RateLimit) -> Callable[..., Response]:
    def run(**path: Any) -> Response:
        token, agent = authenticate(deps, limit)
        if op.admin and not agent.is_admin:
            raise Problem(403, "Forbidden", "This is for admins.")
        call = Call(deps, agent, token, _parse(op.query, request.args.to_dict(), "query"), _body(op))
        if op.method == "POST" and "Idempotency-Key" in request.headers:
            return _once(call, lambda: _response(op.handler(call, **path)))
        return _response(op.handler(call, **path))

    run.__name__ = op.name
    return run


def _once(call: Call, handle: Callable[[], Response]) -> Response:
    header = request.headers["Idempotency-Key"]
    if not _KEY.match(header):
        raise refused_field("header.Idempotency-Key", "Use 1 to 255 visible ASCII characters.")
    now = call.deps.clock.now()
    record = IdempotentResponse(key=idempotency_key(call.token.id, header), token_id=call.token.id,
                                fingerprint=fingerprint(request.method, request.path, request.get_data()),
                                created_at=now)
    found = call.deps.store.claim_idempotency(record, take_over_before=now - CLAIM_LIFETIME)
    if found is not None:
        if found.fingerprint != record.fingerprint:
            raise refused_field("header.Idempotency-Key", "This key was used with a different request.")
        if not found.done:
            raise Problem(409, "Conflict", "A request with this Idempotency-Key is still being handled; retry soon.",
                          headers={"Retry-After": "1"})
        replay = Response(found.body, status=found.status, mimetype="application/json" if found.body else None)
        if found.location:
            replay.headers["Location"] = found.location
        replay.headers["Idempotent-Replayed"] = "true"
        return replay
    try:
        response = handle()
    except BaseException:
        call.deps.store.drop_idempotency(record.key)  # nothing was done: a retry may try again
        raise
    record.status, record.body = response.status_code, response.get_data(as_text=True)
    record.location = response.headers.get("Location", "")
    call.deps.store.save_idempotency(record)
    return response
