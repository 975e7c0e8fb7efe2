"""The Gmail client's API description: one copy per thread, reused by every client that thread builds.

The reuse rests on the library's additions to the description being the same at every build; a library upgrade
that breaks that fails here."""

from __future__ import annotations

import copy
import threading
from typing import Any

from googleapiclient.discovery import build_from_document
from googleapiclient.http import build_http

from gmail_tickets.adapters.gmail_client import discovery_document

ROOT = "http://127.0.0.1:9/"


def _requests(doc: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """Build a client from `doc` and make (without sending) a request of each kind the adapters send."""
    users = build_from_document(doc, http=build_http()).users()
    made = [
        users.messages().get(userId="me", id="m1", format="raw"),
        users.messages().list(userId="me", q="larger:100 after:1", maxResults=500),
        users.history().list(userId="me", startHistoryId="7", historyTypes=["messageAdded"]),
        users.messages().modify(userId="me", id="m1", body={"addLabelIds": ["L1"]}),
        users.messages().send(userId="me", body={"raw": "eA"}),
        users.messages().attachments().get(userId="me", messageId="m1", id="a1"),
        users.labels().list(userId="me"),
        users.settings().sendAs().list(userId="me"),
        users.getProfile(userId="me"),
    ]
    return [(r.method, r.uri, r.body) for r in made]


def test_a_thread_reuses_its_copy_and_a_second_build_changes_nothing_in_it() -> None:
    doc = discovery_document(ROOT)
    assert discovery_document(ROOT) is doc
    assert discovery_document(None) is not doc

    first = _requests(doc)
    after_first = copy.deepcopy(doc)
    second = _requests(doc)

    assert doc == after_first
    assert second == first
    assert first[0][1].startswith(ROOT + "gmail/v1/users/me/messages/m1")


def test_threads_do_not_share_a_copy() -> None:
    mine = discovery_document(ROOT)
    theirs: list[dict[str, Any]] = []
    worker = threading.Thread(target=lambda: theirs.append(discovery_document(ROOT)))
    worker.start()
    worker.join()

    assert theirs[0] is not mine
    assert theirs[0]["rootUrl"] == mine["rootUrl"] == ROOT
