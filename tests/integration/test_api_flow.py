"""The bar: a support flow driven over HTTP with `requests` against the served REST API, on both stores — a web
form's request becomes a ticket (acknowledged by mail through the outbox), the agent finds it in a view and by
search, replies (mailed), adds a note (not mailed), solves it. Plus what the API promises around it: problem
details, role checks, idempotent creates, revoked tokens, the rate limit."""

from __future__ import annotations

import pytest
import requests

from gmail_tickets.domain.outbox import NotificationEvent
from gmail_tickets.services import api_tokens
from gmail_tickets.web.api import create_api_app
from gmail_tickets.web.server import serve_app
from tests.integration.api_stack import ADMIN, AGENT, HELP, ServedApi

ANN = "ann@customer.test"


def _create(api: ServedApi, **extra: object) -> dict:
    body = {"requester": ANN, "requester_name": "Ann", "subject": "Printer on fire", "body": "It smokes. Help!"}
    answer = api.client().post(api.at("/tickets"), json={**body, **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_support_flow_over_http(served_api: ServedApi) -> None:
    api, http = served_api, served_api.client()
    created = _create(api)
    ticket_id = created["id"]
    assert created["status"] == "new" and created["support_address"] == HELP and created["requester"] == ANN
    mails = api.deps.store.list_notifications(ticket_id=ticket_id, limit=10)
    assert [(m.event, m.to) for m in mails] == [(str(NotificationEvent.TICKET_CREATED), (ANN,))]

    listed = http.get(api.at("/tickets"), params={"view": "open"}).json()
    assert [t["id"] for t in listed["items"]] == [ticket_id] and listed["total"] == 1
    assert http.get(api.at("/tickets"), params={"view": "solved"}).json()["items"] == []
    found = http.get(api.at("/tickets/search"), params={"q": "smokes"}).json()
    assert [t["id"] for t in found["items"]] == [ticket_id]

    reply = http.post(api.at(f"/tickets/{ticket_id}/comments"),
                      json={"body": "Unplug it, please.", "status": "pending", "version": created["version"]})
    assert reply.status_code == 201, reply.text
    assert reply.json()["public"] is True and reply.json()["author_email"] == AGENT.email
    note = http.post(api.at(f"/tickets/{ticket_id}/comments"), json={"body": "Third time this week.", "public": False})
    assert note.status_code == 201, note.text
    mails = api.deps.store.list_notifications(ticket_id=ticket_id, limit=10)
    assert len(mails) == 2 and any("Unplug it" in m.text for m in mails), "the reply is mailed, the note is not"

    current = http.get(api.at(f"/tickets/{ticket_id}")).json()
    assert current["status"] == "pending"
    solved = http.patch(api.at(f"/tickets/{ticket_id}"),
                        json={"status": "solved", "priority": "high", "tags": ["printer"], "assignee": AGENT.email,
                              "version": current["version"]})
    assert solved.status_code == 200, solved.text
    assert (solved.json()["status"], solved.json()["priority"], solved.json()["tags"]) == ("solved", "high",
                                                                                            ["printer"])
    stale = http.patch(api.at(f"/tickets/{ticket_id}"), json={"priority": "low", "version": current["version"]})
    assert stale.status_code == 409 and stale.headers["Content-Type"] == "application/problem+json"
    comments = http.get(api.at(f"/tickets/{ticket_id}/comments")).json()["items"]
    assert [(c["author_kind"], c["public"]) for c in comments] == [("customer", True), ("agent", True),
                                                                   ("agent", False)]
    assert [t["id"] for t in http.get(api.at("/tickets"), params={"view": "solved"}).json()["items"]] == [ticket_id]


def test_a_retried_create_makes_one_ticket(served_api: ServedApi) -> None:
    api, http = served_api, served_api.client()
    body = {"requester": ANN, "subject": "Refund", "body": "Please refund order 42."}
    first = http.post(api.at("/tickets"), json=body, headers={"Idempotency-Key": "form-7"})
    again = http.post(api.at("/tickets"), json=body, headers={"Idempotency-Key": "form-7"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == f"/api/v1/tickets/{first.json()['id']}"
    other = http.post(api.at("/tickets"), json={**body, "subject": "Other"}, headers={"Idempotency-Key": "form-7"})
    assert other.status_code == 422
    # the key is the token's own: another token's same key is another request
    admins = api.client(api.admin_token).post(api.at("/tickets"), json=body, headers={"Idempotency-Key": "form-7"})
    assert admins.status_code == 201 and admins.json()["id"] != first.json()["id"]
    assert http.get(api.at("/tickets"), params={"view": "all"}).json()["total"] == 2


def test_errors_are_problem_details_naming_the_field(served_api: ServedApi) -> None:
    api, http = served_api, served_api.client()
    bad = http.post(api.at("/tickets"), json={"requester": "not-an-address", "subject": "", "body": "x", "extra": 1})
    assert bad.status_code == 422 and bad.headers["Content-Type"] == "application/problem+json"
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"body.subject", "body.extra"} <= fields
    invalid_address = http.post(api.at("/tickets"), json={"requester": "ann@", "subject": "Hi", "body": "x"})
    assert invalid_address.status_code == 422 and invalid_address.json()["errors"][0]["field"] == "body.requester"
    missing = http.get(api.at("/tickets/999999"))
    assert missing.status_code == 404 and missing.json()["status"] == 404
    assert http.get(api.at("/tickets"), params={"limit": "0"}).json()["errors"][0]["field"] == "query.limit"
    assert http.get(api.at("/tickets"), params={"cursor": "nonsense"}).status_code == 422
    assert http.post(api.at("/tickets"), data="x", headers={"Content-Type": "text/plain"}).status_code == 415


def test_tokens_act_with_their_agents_role(served_api: ServedApi) -> None:
    api = served_api
    assert api.client().get(api.at("/agents/me")).json() == {"email": AGENT.email, "name": "Ana", "role": "agent",
                                                             "active": True}
    assert api.client().get(api.at("/agents")).status_code == 403
    assert api.client().get(api.at("/support-addresses")).status_code == 403
    assert {a["email"] for a in api.client(api.admin_token).get(api.at("/agents")).json()["items"]} == {
        ADMIN.email, AGENT.email}
    addresses = api.client(api.admin_token).get(api.at("/support-addresses")).json()["items"]
    assert [(a["address"], a["is_default"]) for a in addresses] == [(HELP, True)]
    assert api.client().get(api.at("/suspended-mail")).json() == {"items": [], "total": 0, "next_cursor": None,
                                                                  "prev_cursor": None}
    anonymous = api.client("").get(api.at("/tickets"))
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.client("gtk_guessed").get(api.at("/tickets")).status_code == 401


def test_a_revoked_token_or_a_deactivated_agent_is_refused(served_api: ServedApi) -> None:
    api = served_api
    token = next(t for t in api.deps.store.list_api_tokens(AGENT.email))
    assert api.deps.store.get_api_token(token.id) is not None and api.agent_token not in str(token)
    api_tokens.revoke(api.deps, ADMIN, token.id)
    assert api.client().get(api.at("/agents/me")).status_code == 401
    secret, _ = api_tokens.create(api.deps, AGENT, "again")
    assert api.client(secret).get(api.at("/agents/me")).status_code == 200
    api.deps.store.save_agent(AGENT.__class__(**{**AGENT.__dict__, "active": False}))
    assert api.client(secret).get(api.at("/agents/me")).status_code == 401


def test_the_rate_limit_answers_429_with_retry_after(served_api: ServedApi) -> None:
    url, stop = serve_app(create_api_app(served_api.deps, requests_per_minute=3))
    try:
        http = served_api.client()
        codes = [http.get(f"{url}/api/v1/agents/me").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = http.get(f"{url}/api/v1/agents/me")
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert limited.json()["title"] == "Too Many Requests"
        assert served_api.client(served_api.admin_token).get(f"{url}/api/v1/agents/me").status_code == 200
    finally:
        stop()


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_the_openapi_document_is_served_without_a_token(served_api: ServedApi) -> None:
    document = requests.get(served_api.at("/openapi.json"), timeout=10).json()
    assert document["openapi"] == "3.1.0"
    assert {"/api/v1/tickets", "/api/v1/tickets/{ticket_id}", "/api/v1/tickets/{ticket_id}/comments",
            "/api/v1/tickets/search", "/api/v1/agents/me", "/api/v1/agents", "/api/v1/support-addresses",
            "/api/v1/suspended-mail", "/api/v1/export/tickets"} <= set(document["paths"])
    assert document["components"]["schemas"]["TicketCreate"]["required"] == ["requester", "subject", "body"]
