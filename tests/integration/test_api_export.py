"""The incremental export on both stores (SQLite and the Firestore emulator): oldest change first by (last change,
id), so tickets changed at the same instant are each read once; a ticket changed while a client pages comes again
later, never skipped; changes younger than the settle time wait for a later call. Over HTTP: admins only, each
ticket exactly the CLI export's JSON, paged with `after_cursor` to `end_of_stream`, and polled later."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from typing import Any

import pytest

from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.paging import cursor
from gmail_tickets.domain.ticket_fields import Priority
from gmail_tickets.domain.ticket_lifecycle import FieldChanges
from gmail_tickets.ports import Store
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.export import changes_since, ticket_export
from gmail_tickets.services.ticket_changes import update_ticket
from tests.integration.api_stack import ServedApi
from tests.integration.test_export import T0, _tickets, deps  # noqa: F401  (the fixture: a store and a set clock)

SETTLE = timedelta(seconds=30)  # GT_API_EXPORT_SETTLE_SECONDS' default


def _same_instant(store: Store, n: int) -> list[int]:
    return [store.atomically(lambda uow, i=i: uow.add_ticket(Ticket(f"Q{i}", f"c{i}@customer.test", "help@acme.test",
                                                                   created_at=T0, updated_at=T0)))
            for i in range(n)]


def _drain(on: Deps, cursor: str | None, limit: int) -> tuple[list[int], str]:
    seen: list[int] = []
    for _ in range(20):
        page = changes_since(on, cursor=cursor, limit=limit)
        seen += [t["id"] for t in page.tickets]
        cursor = page.after_cursor
        if page.end_of_stream:
            return seen, cursor
    raise AssertionError("no end of stream")


def test_equal_times_are_each_read_once_and_a_ticket_changed_while_paging_comes_again(deps: Deps,  # noqa: F811
                                                                                       store: Store) -> None:
    ids = _same_instant(store, 5)
    first = changes_since(deps, limit=2)
    assert [t["id"] for t in first.tickets] == ids[:2] and not first.end_of_stream
    update_ticket(deps, ids[0], FieldChanges(priority=Priority.HIGH), actor="Ana", version=None)  # already read
    update_ticket(deps, ids[3], FieldChanges(priority=Priority.LOW), actor="Ana", version=None)  # not read yet
    seen, cursor = _drain(deps, first.after_cursor, 2)
    assert seen == [ids[2], ids[4]], "the two changed now are younger than the settle time: not yet"
    deps.clock.at += SETTLE  # type: ignore[attr-defined]
    seen, cursor = _drain(deps, cursor, 2)
    assert seen == [ids[0], ids[3]], "both come after the rest, in (change, id) order; #4 once, not twice"
    again = changes_since(deps, cursor=cursor)
    assert (again.tickets, again.end_of_stream, again.after_cursor) == ([], True, cursor)  # poll: nothing new


def test_start_time_begins_the_stream_and_each_ticket_is_the_cli_exports_json(deps: Deps,  # noqa: F811
                                                                              store: Store) -> None:
    ids = _tickets(store, 4)  # changed an hour apart, each with a comment and an attachment
    page = changes_since(deps, start=T0 + timedelta(hours=2), limit=10)
    assert [t["id"] for t in page.tickets] == ids[2:] and page.end_of_stream
    ticket = store.get_ticket(ids[2])
    assert ticket is not None and page.tickets[0] == ticket_export(deps, ticket)
    assert page.tickets[0]["comments"][0]["attachments"][0]["blob_key"] == "sha-2"


def _admin_export(api: ServedApi, **params: Any) -> dict[str, Any]:
    answer = api.client(api.admin_token).get(api.at("/export/tickets"), params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_over_http_admins_page_to_the_end_and_poll_for_changes(served_api: ServedApi) -> None:
    api, http = served_api, served_api.client()
    api.deps.settings = dataclasses.replace(api.deps.settings, api_export_settle_seconds=0)
    ids = [http.post(api.at("/tickets"), json={"requester": f"c{i}@customer.test", "subject": f"Q{i}",
                                               "body": f"Body {i}"}).json()["id"] for i in range(5)]
    assert http.get(api.at("/export/tickets")).status_code == 403, "agents may not export"
    seen: list[dict[str, Any]] = []
    page = _admin_export(api, limit=2)
    seen += page["tickets"]
    version = http.get(api.at(f"/tickets/{ids[0]}")).json()["version"]
    assert http.patch(api.at(f"/tickets/{ids[0]}"), json={"priority": "urgent", "version": version}).ok
    while not page["end_of_stream"]:
        page = _admin_export(api, cursor=page["after_cursor"], limit=2)
        assert page["count"] == len(page["tickets"])
        seen += page["tickets"]
    assert [t["id"] for t in seen] == [*ids, ids[0]], "changed while paging: read again at the end"
    assert seen[-1]["priority"] == "urgent" and seen[-1]["history"][-1]["new"] == "urgent"
    for exported in seen[-3:]:
        ticket = api.deps.store.get_ticket(exported["id"])
        assert ticket is not None
        assert exported == json.loads(json.dumps(ticket_export(api.deps, ticket)))  # the CLI export's own JSON
    polled = _admin_export(api, cursor=page["after_cursor"])
    assert (polled["tickets"], polled["end_of_stream"], polled["after_cursor"]) == ([], True, page["after_cursor"])
    http.post(api.at(f"/tickets/{ids[2]}/comments"), json={"body": "Any news?", "public": False})
    polled = _admin_export(api, cursor=polled["after_cursor"])
    assert [t["id"] for t in polled["tickets"]] == [ids[2]] and polled["tickets"][0]["comments"][-1]["public"] is False


@pytest.mark.parametrize("params", [{"cursor": "bm90IG91cnM"}, {"cursor": "x", "start_time": 0}, {"limit": 0},
                                    {"cursor": cursor(("2024-05-17", 10**30), backward=True)},
                                    {"cursor": cursor(("2024-05-17", 1), backward=False)}])
def test_bad_queries_are_refused_naming_the_field(served_api: ServedApi, params: dict[str, Any]) -> None:
    answer = served_api.client(served_api.admin_token).get(served_api.at("/export/tickets"), params=params)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"].startswith("query.")
