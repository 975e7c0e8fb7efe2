"""Cursor paging through the REST API on both stores: every sort walks to the end and back without repeating or
skipping a ticket, and an edited cursor — a key of another list's shape, of types a store cannot compare, of
numbers it cannot hold, or of a document id Firestore refuses — is refused (422) or starts from the top, never
a 500."""

from __future__ import annotations

import pytest

from gmail_tickets.domain.paging import cursor
from tests.integration.api_stack import ServedApi

FORGED_KEYS = [[], [{"a": 1}], [[1]], [None], [2**64, 1], ["zzz", 2**64], [True, 1], [1.5], ["x", "y"], [""],
               ["."], [".."], ["__name__"], ["a/b"], ["é" * 150], [1, 2, 3, 4]]


def _forged(key: list[object], backward: bool) -> str:
    return cursor(tuple(key), backward=backward)  # type: ignore[arg-type]


def _walk(api: ServedApi, params: dict[str, object], direction: str, start: str | None) -> tuple[list[int], str]:
    """The ids page after page in `direction` from `start`, and the last page's cursor the other way."""
    seen: list[int] = []
    at, back = start, {"next_cursor": "prev_cursor", "prev_cursor": "next_cursor"}[direction]
    while True:
        page = api.client().get(api.at("/tickets"), params={**params, **({"cursor": at} if at else {})})
        assert page.status_code == 200, page.text
        seen += [t["id"] for t in page.json()["items"]]
        at = page.json()[direction]
        if at is None:
            return seen, page.json()[back]


def test_every_sort_pages_to_the_end_and_back(served_api: ServedApi) -> None:
    api, http = served_api, served_api.client()
    ids = [http.post(api.at("/tickets"), json={"requester": f"c{n}@customer.test", "subject": f"Jam {n}",
                                               "body": "Paper jam."}).json()["id"] for n in range(4)]
    assert http.patch(api.at(f"/tickets/{ids[1]}"), json={"priority": "urgent"}).status_code == 200
    for sort in ("updated", "created", "priority"):
        params = {"view": "all", "sort": sort, "limit": 1}
        forward, from_last = _walk(api, params, "next_cursor", None)
        assert sorted(forward) == sorted(ids) and len(forward) == len(ids), (sort, forward)
        back, _ = _walk(api, params, "prev_cursor", from_last)
        assert back == forward[-2::-1], (sort, forward, back)
        assert forward[0] == {"updated": ids[1], "created": ids[-1], "priority": ids[1]}[sort]


@pytest.mark.parametrize("path", ["/tickets?sort=updated", "/tickets?sort=created", "/tickets?sort=priority",
                                  "/suspended-mail?limit=5"])
def test_an_edited_cursor_is_refused_or_starts_over_never_a_500(served_api: ServedApi, path: str) -> None:
    api, http = served_api, served_api.client()
    made = http.post(api.at("/tickets"), json={"requester": "ann@customer.test", "subject": "Jam", "body": "Jam."})
    assert made.status_code == 201
    for key in FORGED_KEYS:
        for backward in (False, True):
            answer = http.get(api.at(path), params={"cursor": _forged(key, backward)})
            assert answer.status_code in (200, 422), (key, backward, answer.status_code, answer.text)
            if answer.status_code == 422:
                assert answer.json()["errors"][0]["field"] == "query.cursor"


def test_updated_since_lists_what_changed_since_a_sync(served_api: ServedApi) -> None:
    api, http = served_api, served_api.client()
    untouched, changed, seen, later = [
        http.post(api.at("/tickets"), json={"requester": "ann@customer.test", "subject": subject, "body": "Help."}
                  ).json() for subject in ("Untouched", "Changed", "Seen", "Later")]
    synced = seen["updated_at"]  # what a sync saw last
    assert http.patch(api.at(f"/tickets/{changed['id']}"), json={"priority": "high"}).status_code == 200
    first = http.get(api.at("/tickets"), params={"view": "all", "updated_since": synced, "limit": 2})
    assert first.status_code == 200, first.text
    assert first.json()["total"] == 3, "changed since, made since, and the last seen (at or after); not untouched"
    rest = http.get(api.at("/tickets"), params={"view": "all", "updated_since": synced, "limit": 2,
                                                "cursor": first.json()["next_cursor"]}).json()
    assert [t["id"] for t in first.json()["items"] + rest["items"]] == [changed["id"], later["id"], seen["id"]]
    assert rest["next_cursor"] is None and untouched["id"] not in [t["id"] for t in rest["items"]]
    later = http.get(api.at("/tickets"), params={"view": "all", "updated_since": "2999-01-01T00:00:00+02:00"})
    assert later.json()["items"] == [] and later.json()["total"] == 0

    for params, field in (({"updated_since": synced, "sort": "created"}, "query.updated_since"),
                          ({"updated_since": "2024-05-01T10:00:00"}, "query.updated_since"),  # no offset
                          ({"updated_since": "0001-01-01T00:00:00+01:00"}, "query.updated_since")):
        refused = http.get(api.at("/tickets"), params={"view": "all", **params})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field, refused.text
