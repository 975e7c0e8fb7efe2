"""Suspended mail over HTTP (`requests` against the served API, both stores): an agent's token lists it, recovers
one into a ticket (once: again is 409 naming the ticket; the mail has left the list), deletes another (204, then
404), and is refused a copy set aside (409). Problems are RFC 9457; the operations are in the OpenAPI document."""

from __future__ import annotations

import pytest
import requests

from tests.integration.api_stack import AGENT, HELP, ServedApi
from tests.integration.suspended_harness import arrive, connect, mail

ANN = "ann@customer.test"


def test_recover_and_delete_suspended_mail_over_http(served_api: ServedApi) -> None:
    api, http = served_api, served_api.client()
    connect(api.deps, HELP)
    arrive(api.deps, HELP, mail(f"Ann <{ANN}>", "Printer", "It smokes.", message_id="s1@customer.test", auto=True))
    arrive(api.deps, HELP, mail("News <news@bulk.test>", "Offers", "Buy.", message_id="s2@bulk.test", auto=True))
    listed = http.get(api.at("/suspended-mail")).json()
    assert listed["total"] == 2
    ids = {s["sender"]: s["id"] for s in listed["items"]}

    recovered = http.post(api.at(f"/suspended-mail/{ids[ANN]}/recover"), headers={"Idempotency-Key": "r-1"})
    assert recovered.status_code == 200, recovered.text
    body = recovered.json()
    assert body["new_ticket"] is True and body["ticket"]["requester"] == ANN and body["suspended_id"] == ids[ANN]
    ticket_id = body["ticket"]["id"]
    comments = http.get(api.at(f"/tickets/{ticket_id}/comments")).json()["items"]
    assert [c["id"] for c in comments] == [body["comment_id"]] and "It smokes." in comments[0]["body_text"]
    replayed = http.post(api.at(f"/suspended-mail/{ids[ANN]}/recover"), headers={"Idempotency-Key": "r-1"})
    assert replayed.json() == body and replayed.headers["Idempotent-Replayed"] == "true"
    again = http.post(api.at(f"/suspended-mail/{ids[ANN]}/recover"))
    assert again.status_code == 409 and again.headers["Content-Type"] == "application/problem+json"
    assert f"#{ticket_id}" in again.json()["detail"]
    assert [s["sender"] for s in http.get(api.at("/suspended-mail")).json()["items"]] == ["news@bulk.test"]
    assert http.get(api.at("/tickets"), params={"view": "all"}).json()["total"] == 1
    assert api.deps.store.list_audit(limit=5)[0].actor == AGENT.email

    deleted = http.delete(api.at(f"/suspended-mail/{ids['news@bulk.test']}"))
    assert deleted.status_code == 204 and deleted.text == ""
    assert http.delete(api.at(f"/suspended-mail/{ids['news@bulk.test']}")).status_code == 404
    assert http.post(api.at(f"/suspended-mail/{ids['news@bulk.test']}/recover")).json()["status"] == 404
    assert http.get(api.at("/suspended-mail")).json()["total"] == 0


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_the_suspended_operations_are_documented(served_api: ServedApi) -> None:
    paths = requests.get(served_api.at("/openapi.json"), timeout=10).json()["paths"]
    assert set(paths["/api/v1/suspended-mail/{suspended_id}/recover"]) == {"post"}
    assert set(paths["/api/v1/suspended-mail/{suspended_id}"]) == {"delete"}
    assert "204" in paths["/api/v1/suspended-mail/{suspended_id}"]["delete"]["responses"]
