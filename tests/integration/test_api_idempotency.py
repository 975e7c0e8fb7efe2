"""A stuck Idempotency-Key claim over HTTP, on both stores: a request's process died between claiming its key and
storing its response (the claim is left behind unanswered). Retries get 409 while the claim may still belong
to a running request, and once its lifetime is past the next retry takes it over and runs, once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from gmail_tickets.adapters.system_clock import SystemClock
from gmail_tickets.domain.api_access import CLAIM_LIFETIME, IdempotentResponse, fingerprint, idempotency_key, token_id
from tests.integration.api_stack import ServedApi


class ShiftedClock:
    """The system's time moved on by `offset`: what the API sees once the claim has aged."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return SystemClock().now() + self.offset


def test_a_claim_left_by_a_crashed_request_is_taken_over_after_its_lifetime(served_api: ServedApi) -> None:
    api, http = served_api, served_api.client()
    clock = ShiftedClock()
    api.deps.clock = clock
    body = json.dumps({"requester": "ann@customer.test", "subject": "Refund", "body": "Order 42, please."})
    # the crashed request: its claim, exactly as the API writes it, and nothing after
    key = idempotency_key(token_id(api.agent_token), "form-crash")
    api.deps.store.claim_idempotency(
        IdempotentResponse(key=key, token_id=token_id(api.agent_token),
                           fingerprint=fingerprint("POST", "/api/v1/tickets", body.encode()), created_at=clock.now()),
        take_over_before=clock.now() - CLAIM_LIFETIME)

    def post() -> dict:
        answer = http.post(api.at("/tickets"), data=body, headers={"Idempotency-Key": "form-crash",
                                                                    "Content-Type": "application/json"})
        return {"status": answer.status_code, "replayed": answer.headers.get("Idempotent-Replayed"),
                "retry_after": answer.headers.get("Retry-After"), "id": answer.json().get("id")}

    assert post() == {"status": 409, "replayed": None, "retry_after": "1", "id": None}  # may still be running
    clock.offset = CLAIM_LIFETIME - timedelta(seconds=5)
    assert post()["status"] == 409
    clock.offset = CLAIM_LIFETIME + timedelta(seconds=1)
    taken = post()
    assert taken["status"] == 201 and taken["replayed"] is None and taken["id"]
    assert post() == {**taken, "replayed": "true"}  # answered now: replayed, never run again
    assert http.get(api.at("/tickets"), params={"view": "all"}).json()["total"] == 1
