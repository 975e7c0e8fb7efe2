"""The API's operations, declared once with their pydantic models: the registry adds them to Flask and writes
the OpenAPI 3.1 document from the same declarations (the models' JSON Schema), so the document cannot drift from
what the code accepts and answers. Nothing in the document is written by hand."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from gmail_tickets.web.api.problems import MEDIA_TYPE, ProblemModel

PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
STORE_INT_MAX = 2**63 - 1
_PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # Flask's rule below PREFIX: /tickets/<int:ticket_id>
    handler: Callable[..., Any]
    summary: str
    tag: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    admin: bool = False  # admins only (web/access.py's roles)
    upload_limit: int | None = None  # the body is a file's raw bytes (any Content-Type), up to this many
    etag: bool = False  # answers ETag (the ticket's version); an update takes If-Match (web/api/preconditions.py)
    description: str = ""

    @property
    def name(self) -> str:
        return self.handler.__name__

    @property
    def openapi_path(self) -> str:
        return PREFIX + _PATH_PARAM.sub(r"{\2}", self.path)


@dataclass
class Registry:
    operations: list[Operation] = field(default_factory=list)

    def add(self, method: str, path: str, *, summary: str, tag: str, **options: Any) -> Callable[..., Any]:
        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            self.operations.append(Operation(method, path, handler, summary, tag, description=handler.__doc__ or "",
                                             **options))
            return handler

        return register

    def openapi(self, *, title: str, version: str) -> dict[str, Any]:
        schemas: dict[str, Any] = {}
        paths: dict[str, dict[str, Any]] = {}
        for op in self.operations:
            paths.setdefault(op.openapi_path, {})[op.method.lower()] = _operation(op, schemas)
        schemas["Problem"] = _schema(ProblemModel, schemas, "serialization")
        return {
            "openapi": "3.1.0",
            "info": {"title": title, "version": version,
                     "description": "The help desk's REST API. Errors are RFC 9457 problem details."},
            "paths": paths,
            "components": {"schemas": schemas,
                           "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                          "description": "An API token made on your profile."}}},
            "security": [{"bearer": []}],
        }


def _schema(model: type[BaseModel], schemas: dict[str, Any], mode: str) -> dict[str, Any]:
    """The model's JSON Schema, its nested definitions moved to components."""
    schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
    schemas.update(schema.pop("$defs", {}))
    return schema


def _ref(model: type[BaseModel], schemas: dict[str, Any], mode: str) -> dict[str, str]:
    schemas[model.__name__] = _schema(model, schemas, mode)
    return {"$ref": REF.format(model=model.__name__)}


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description,
                              "content": {MEDIA_TYPE: {"schema": {"$ref": REF.format(model="Problem")}}}}
    if headers:
        answer["headers"] = headers
    return answer


def _parameters(op: Operation, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for kind, name in _PATH_PARAM.findall(op.path):
        schema = ({"type": "integer", "minimum": 1, "maximum": STORE_INT_MAX} if kind == "int"
                  else {"type": "string", "minLength": 1})
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if op.query is not None:
        schema = _schema(op.query, schemas, "validation")
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            description = prop.pop("description", None)
            param = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if description:
                param["description"] = description
            params.append(param)
    if op.etag and op.method == "PATCH":
        params.append({"name": "If-Match", "in": "header", "required": False,
                       "description": 'The ETag you read ("7"): the update happens only while the ticket is still '
                                      "at that version, else 412.", "schema": {"type": "string", "minLength": 1}})
    if op.method == "POST":
        params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                       "description": "Retries with the same key get the first response again, never a second "
                                      "effect (kept per token).",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[\x21-\x7e]+$"}})
    return params


def _operation(op: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": {200: "OK", 201: "Created", 204: "No Content"}[op.status]}
    if op.response is not None:
        ok["content"] = {"application/json": {"schema": _ref(op.response, schemas, "serialization")}}
    if op.status == 201:
        ok["headers"] = {"Location": {"schema": {"type": "string"}, "description": "The new resource."}}
    if op.etag:
        ok["headers"] = {"ETag": {"schema": {"type": "string"}, "description": "The ticket's version, quoted."}}
    responses: dict[str, Any] = {
        str(op.status): ok,
        "401": _problem("No valid API token."),
        "422": _problem("A field is not valid: `errors` names each."),
        "429": _problem("Too many requests for this token.",
                        {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}),
        "default": _problem("Any other refusal (400, 403, 404, 409, 413, 415), as problem details."),
    }
    if op.etag and op.method == "PATCH":
        responses["412"] = _problem("If-Match named a version the ticket is no longer at.")
    operation: dict[str, Any] = {"operationId": op.name, "summary": op.summary, "tags": [op.tag],
                                 "parameters": _parameters(op, schemas), "responses": responses}
    if op.description:
        operation["description"] = " ".join(op.description.split())
    if op.body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _ref(op.body, schemas, "validation")}}}
    if op.upload_limit is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            "description": f"The file's bytes, at most {op.upload_limit // (1024 * 1024)} MB (413 beyond); its "
                           "Content-Type is the file's type (application/octet-stream: guessed from the filename)."}
    return operation


REGISTRY = Registry()
"""Every operation: the resource modules (tickets, comments, directory, suspended, uploads) add theirs."""
