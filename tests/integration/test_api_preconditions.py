"""Lost updates through the REST API on both stores, in plain HTTP: a ticket answers `ETag: "<version>"`, and an
update with `If-Match` happens only while the ticket is still at that version (412 otherwise, the ticket left as
it was) — beside `version` in the body (409). Either refusal says who changed it and the version to read again."""

from __future__ import annotations

from tests.integration.api_stack import ADMIN, ServedApi


def test_if_match_refuses_a_lost_update_with_412(served_api: ServedApi) -> None:
    api, http = served_api, served_api.client()
    made = http.post(api.at("/tickets"), json={"requester": "ann@customer.test", "subject": "Jam", "body": "Jam."})
    url = api.at(f"/tickets/{made.json()['id']}")
    read = http.get(url)
    assert read.headers["ETag"] == f'"{read.json()["version"]}"'

    admins = api.client(api.admin_token).patch(url, json={"priority": "high"},
                                               headers={"If-Match": read.headers["ETag"]})
    assert admins.status_code == 200, admins.text
    assert admins.headers["ETag"] == f'"{admins.json()["version"]}"' != read.headers["ETag"]

    stale = http.patch(url, json={"priority": "low"}, headers={"If-Match": read.headers["ETag"]})
    assert stale.status_code == 412 and stale.headers["Content-Type"] == "application/problem+json"
    assert ADMIN.name in stale.json()["detail"] and f"version {admins.json()['version']}" in stale.json()["detail"]
    weak = http.patch(url, json={"priority": "low"}, headers={"If-Match": f"W/{admins.headers['ETag']}"})
    assert weak.status_code == 412
    assert http.get(url).json()["priority"] == "high", "a refused update changes nothing"

    for header, body in (("7", {}), ('"1", "2"', {}), (admins.headers["ETag"], {"version": 0})):
        refused = http.patch(url, json={"priority": "low", **body}, headers={"If-Match": header})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "header.If-Match", header
    fresh = http.patch(url, json={"priority": "low"}, headers={"If-Match": admins.headers["ETag"]})
    assert fresh.status_code == 200 and fresh.json()["priority"] == "low"
    assert http.patch(url, json={"tags": ["jam"]}, headers={"If-Match": "*"}).status_code == 200


def test_a_stale_version_in_the_body_is_409_naming_the_version_to_read(served_api: ServedApi) -> None:
    api, http = served_api, served_api.client()
    made = http.post(api.at("/tickets"), json={"requester": "ann@customer.test", "subject": "Jam", "body": "Jam."})
    ticket_id, version = made.json()["id"], made.json()["version"]
    moved = api.client(api.admin_token).patch(api.at(f"/tickets/{ticket_id}"), json={"status": "pending"})
    reply = http.post(api.at(f"/tickets/{ticket_id}/comments"), json={"body": "Try again.", "version": version})
    assert reply.status_code == 409 and f"version {moved.json()['version']}" in reply.json()["detail"]
    assert len(http.get(api.at(f"/tickets/{ticket_id}/comments")).json()["items"]) == 1, "nothing was added"
