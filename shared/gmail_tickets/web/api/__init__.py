"""The REST API under /api/v1 (docs/api.md): its own Flask app, apart from the console's — no session, no CSRF,
no IAP: a bearer token per request (auth.py). It calls the services the console calls, never the stores' own
rules. One module per resource (tickets, comments, directory: agents, support addresses, suspended mail; export:
the incremental export); registry.py turns their declarations into routes and the OpenAPI 3.1 document at
/api/v1/openapi.json."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from gmail_tickets.services.deps import Deps
from gmail_tickets.web.api import (  # noqa: F401  (they add their operations)
    comments,
    directory,
    export,
    suspended,
    tickets,
    uploads,
)
from gmail_tickets.web.api.auth import RateLimit
from gmail_tickets.web.api.calls import view
from gmail_tickets.web.api.problems import Problem, ProblemModel, problem_response
from gmail_tickets.web.api.registry import PREFIX, REGISTRY, STORE_INT_MAX

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
VERSION = "1.0.0"


class _StoreInt(IntegerConverter):
    """A number no store can hold does not match: a 404 like any missing ticket, never an overflow (500)."""

    def __init__(self, url_map: Map, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", STORE_INT_MAX)
        super().__init__(url_map, *args, **kwargs)  # type: ignore[arg-type]


def openapi_document() -> dict[str, Any]:
    return REGISTRY.openapi(title="gmail-tickets API", version=VERSION)


def create_api_app(deps: Deps, *, requests_per_minute: int | None = None) -> Flask:
    app = Flask(__name__)
    app.url_map.converters["int"] = _StoreInt
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    limit = RateLimit(requests_per_minute or deps.settings.api_requests_per_minute, time.monotonic)
    for op in REGISTRY.operations:
        app.add_url_rule(PREFIX + op.path, endpoint=op.name, view_func=view(op, deps, limit), methods=[op.method])
    document = openapi_document()

    @app.get(f"{PREFIX}/openapi.json")
    def openapi() -> Response:
        return jsonify(document)

    @app.errorhandler(Problem)
    def problem(error: Problem) -> Response:
        return error.response()

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        model = ProblemModel(title=error.name, status=error.code or 500, detail=error.description or "")
        response = problem_response(model)
        if error.code == 405 and error.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("api request failed", extra={"error": type(error).__name__})
        return problem_response(ProblemModel(title="Internal Server Error", status=500,
                                             detail="Something went wrong on our side; try again later."))

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response

    return app


def with_api(console: Any, api: Any) -> Any:
    """One WSGI app for one machine's server: /api/v1 to the API, everything else to the console."""

    def dispatch(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        chosen = api if path == PREFIX or path.startswith(PREFIX + "/") else console
        return chosen(environ, start_response)  # type: ignore[no-any-return]

    return dispatch
