"""Build the real google-api-python-client Gmail service, optionally pointed at another root URL.

The client is built from the discovery document that ships inside google-api-python-client, with only its root
URL replaced. That moves every call — normal, batch (`<root>/batch`) and media upload — to the given server
(the devstack simulator in tests and the demo), and changes nothing else about the client.
"""

from __future__ import annotations

import json
import marshal
import threading
from functools import cache
from importlib import resources
from typing import Any

import google_auth_httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document
from googleapiclient.http import build_http

from gmail_tickets.google_endpoints import GOOGLE_TOKEN_URI
from gmail_tickets.ports import GMAIL_SCOPE

__all__ = ["GMAIL_SCOPE", "GOOGLE_TOKEN_URI", "discovery_document", "gmail_service", "oauth_credentials"]


@cache
def _discovery_document() -> str:
    path = resources.files("googleapiclient").joinpath("discovery_cache/documents/gmail.v1.json")
    return path.read_text(encoding="utf-8")


def discovery_document(root_url: str | None = None) -> dict[str, Any]:
    """The calling thread's copy, per root URL. The library adds to the method descriptions it builds from, but
    the same additions every time (a second build from a copy changes nothing: tests/unit/test_gmail_client.py),
    so a thread builds all its clients from one copy; threads never share one (one thread's build would write
    while another's reads). A copy per client instead cost a third of a client's build, and its thousands of
    objects set off the garbage collector: ~10 % of the ingest's CPU with 200 mailboxes (docs/scale.md)."""
    docs: dict[str | None, dict[str, Any]] = _per_thread.__dict__.setdefault("docs", {})
    doc = docs.get(root_url)
    if doc is None:
        doc = docs[root_url] = marshal.loads(_marshalled(root_url))
    return doc


_per_thread = threading.local()


@cache
def _marshalled(root_url: str | None) -> bytes:
    doc = json.loads(_discovery_document())
    if root_url:
        root = root_url.rstrip("/") + "/"
        doc["rootUrl"] = root
        doc["mtlsRootUrl"] = root
        doc["baseUrl"] = root + doc.get("servicePath", "")
    return marshal.dumps(doc)


def oauth_credentials(
    refresh_token: str,
    client_id: str,
    client_secret: str,
    token_uri: str = GOOGLE_TOKEN_URI,
) -> Credentials:
    """User credentials that refresh through google-auth's own code path against `token_uri`."""
    return Credentials(
        token=None,
        refresh_token=refresh_token,
        token_uri=token_uri,
        client_id=client_id,
        client_secret=client_secret,
        scopes=[GMAIL_SCOPE],
    )


def gmail_service(credentials: Credentials, root_url: str | None = None, timeout: float = 30.0) -> Any:
    """A Gmail `Resource`. Not thread-safe (httplib2): build one per thread or per use.

    The Http comes from googleapiclient's `build_http`, which stops httplib2 treating 308 as a redirect:
    Google answers each unfinished chunk of a resumable upload with 308 and no Location."""
    http = build_http()
    http.timeout = timeout
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=http)
    return build_from_document(discovery_document(root_url), http=http)
