"""Partial responses: the `fields` system parameter (`messages(id,threadId),nextPageToken`, `payload/headers`)."""

from __future__ import annotations

from typing import Any

from .errors import bad_request

Selection = dict[str, "Selection | None"]


def parse_fields(spec: str) -> Selection:
    pos = 0

    def parse_list() -> Selection:
        nonlocal pos
        out: Selection = {}
        while pos < len(spec):
            start = pos
            while pos < len(spec) and spec[pos] not in ",()":
                pos += 1
            path = [p.strip() for p in spec[start:pos].split("/")]
            if not all(path):
                raise bad_request(f"Invalid field selection {spec}")
            sub: Selection | None = None
            if pos < len(spec) and spec[pos] == "(":
                pos += 1
                sub = parse_list()
                if pos >= len(spec) or spec[pos] != ")":
                    raise bad_request(f"Invalid field selection {spec}")
                pos += 1
            node = out
            for name in path[:-1]:
                child = node.get(name)
                if child is None and name in node:  # already selected whole
                    break
                node = node.setdefault(name, {})  # type: ignore[assignment]
            else:
                node[path[-1]] = sub
            if pos < len(spec) and spec[pos] == ",":
                pos += 1
                continue
            break
        return out

    result = parse_list()
    if pos != len(spec):
        raise bad_request(f"Invalid field selection {spec}")
    return result


def select(value: Any, selection: Selection | None) -> Any:
    if selection is None:
        return value
    if isinstance(value, list):
        return [select(v, selection) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, sub in selection.items():
        if key == "*":
            for k, v in value.items():
                out[k] = select(v, sub)
        elif key in value:
            out[key] = select(value[key], sub)
    return out
