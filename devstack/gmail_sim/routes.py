"""URL → Gmail method name and path parameters, for the REST paths the discovery document declares."""

from __future__ import annotations

import re
from urllib.parse import unquote

_U = r"/gmail/v1/users/(?P<userId>[^/]+)"
_ROUTES: list[tuple[str, str, str]] = [
    ("GET", r"/profile", "getProfile"),
    ("POST", r"/watch", "watch"),
    ("POST", r"/stop", "stop"),
    ("GET", r"/labels", "labels.list"),
    ("POST", r"/labels", "labels.create"),
    ("GET", r"/labels/(?P<id>[^/]+)", "labels.get"),
    ("PUT", r"/labels/(?P<id>[^/]+)", "labels.update"),
    ("PATCH", r"/labels/(?P<id>[^/]+)", "labels.patch"),
    ("DELETE", r"/labels/(?P<id>[^/]+)", "labels.delete"),
    ("GET", r"/history", "history.list"),
    ("GET", r"/messages", "messages.list"),
    ("POST", r"/messages", "messages.insert"),
    ("POST", r"/messages/send", "messages.send"),
    ("POST", r"/messages/import", "messages.import"),
    ("POST", r"/messages/batchModify", "messages.batchModify"),
    ("POST", r"/messages/batchDelete", "messages.batchDelete"),
    ("GET", r"/messages/(?P<messageId>[^/]+)/attachments/(?P<id>[^/]+)", "messages.attachments.get"),
    ("POST", r"/messages/(?P<id>[^/]+)/modify", "messages.modify"),
    ("POST", r"/messages/(?P<id>[^/]+)/trash", "messages.trash"),
    ("POST", r"/messages/(?P<id>[^/]+)/untrash", "messages.untrash"),
    ("GET", r"/messages/(?P<id>[^/]+)", "messages.get"),
    ("DELETE", r"/messages/(?P<id>[^/]+)", "messages.delete"),
    ("GET", r"/threads/(?P<id>[^/]+)", "threads.get"),
]
_COMPILED = [(verb, re.compile(_U + pattern + "$"), name) for verb, pattern, name in _ROUTES]
UPLOAD_METHODS = {"messages.send", "messages.insert", "messages.import"}


def route(verb: str, path: str) -> tuple[str, dict[str, str]] | None:
    """("messages.get", {"userId": "me", "id": "..."}) for a path under /gmail/v1, or None."""
    if not path.startswith("/gmail/v1/users/"):
        return None
    for route_verb, pattern, name in _COMPILED:
        if route_verb != verb:
            continue
        match = pattern.match(path)
        if match:
            return name, {k: unquote(v) for k, v in match.groupdict().items()}
    return None
