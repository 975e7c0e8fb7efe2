"""API tokens and idempotency records on every Store: kept by hash, listed per agent newest first, revocation
kept; an idempotency key claimed once however many race for it, its response stored, a dropped claim free again."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from gmail_tickets.domain.api_access import CLAIM_LIFETIME, ApiToken, IdempotentResponse, idempotency_key, token_id
from gmail_tickets.ports import Store
from tests.contract.conftest import T0


def test_tokens_are_found_by_hash_and_listed_per_agent(store: Store) -> None:
    older = ApiToken(id=token_id("gtk_one"), agent="Ana@Acme.test", name="CRM", hint="gtk_one", created_at=T0)
    newer = ApiToken(id=token_id("gtk_two"), agent="ana@acme.test", name="Chat", hint="gtk_two",
                     created_at=T0 + timedelta(minutes=1))
    other = ApiToken(id=token_id("gtk_three"), agent="bo@acme.test", name="BI", hint="gtk_thr", created_at=T0)
    for token in (older, newer, other):
        store.save_api_token(token)
    assert store.get_api_token(token_id("gtk_one")) == older
    assert store.get_api_token(token_id("gtk_nope")) is None
    assert [t.name for t in store.list_api_tokens("ana@acme.test")] == ["Chat", "CRM"]
    assert {t.name for t in store.list_api_tokens()} == {"CRM", "Chat", "BI"}
    older.revoked_at = T0 + timedelta(hours=1)
    store.save_api_token(older)
    found = store.get_api_token(older.id)
    assert found is not None and not found.active and found.revoked_at == older.revoked_at


def test_an_idempotency_key_is_claimed_once(store: Store) -> None:
    key = idempotency_key("token", "form-1")

    def claim(n: int) -> IdempotentResponse | None:
        return store.claim_idempotency(IdempotentResponse(key=key, token_id="token", fingerprint="f", created_at=T0),
                                       take_over_before=T0 - CLAIM_LIFETIME)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(claim, range(4)))
    assert sum(r is None for r in results) == 1, "exactly one request runs"
    assert all(r is not None and not r.done for r in results if r is not None)
    store.save_idempotency(IdempotentResponse(key=key, token_id="token", fingerprint="f", status=201,
                                              body='{"id": 1}', location="/api/v1/tickets/1", created_at=T0))
    again = claim(0)
    assert again is not None and again.done and (again.status, again.body) == (201, '{"id": 1}')
    store.drop_idempotency(key)
    assert claim(0) is None, "a dropped claim may be taken again"


def test_an_abandoned_claim_is_taken_over_by_one_retry(store: Store) -> None:
    """A process died between claiming a key and storing its response: the claim is left behind unanswered.
    Within its lifetime a retry still gets it back (409 upstream); past it exactly one of racing retries takes it
    over, and a claim answered meanwhile is never taken over."""
    key = idempotency_key("token", "form-2")
    store.claim_idempotency(IdempotentResponse(key=key, token_id="token", fingerprint="f", created_at=T0),
                            take_over_before=T0 - CLAIM_LIFETIME)  # the crashed request's claim
    soon = T0 + CLAIM_LIFETIME - timedelta(seconds=1)

    def retry(at: datetime) -> IdempotentResponse | None:
        return store.claim_idempotency(IdempotentResponse(key=key, token_id="token", fingerprint="f", created_at=at),
                                       take_over_before=at - CLAIM_LIFETIME)

    held = retry(soon)
    assert held is not None and not held.done and held.created_at == T0
    later = T0 + CLAIM_LIFETIME + timedelta(seconds=1)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: retry(later), range(4)))
    assert sum(r is None for r in results) == 1, "exactly one retry takes the claim over"
    assert all(r.created_at == later and not r.done for r in results if r is not None)
    store.save_idempotency(IdempotentResponse(key=key, token_id="token", fingerprint="f", status=201, body="{}",
                                              created_at=later))
    answered = retry(later + timedelta(days=1))
    assert answered is not None and answered.done and answered.status == 201, "an answer is kept, however old"
