"""Quota units per method, the per-minute budget, the concurrency cap, and counters."""

from __future__ import annotations

import threading
import time

import pytest
from googleapiclient.errors import HttpError

from tests.fixtures.sim import SUPPORT, api_error, make_mail


def test_units_per_method_are_counted(sim, gmail):
    mid = sim.deliver(SUPPORT, make_mail())
    users = gmail.users()
    users.getProfile(userId="me").execute()
    users.labels().list(userId="me").execute()
    users.labels().create(userId="me", body={"name": "X"}).execute()
    users.history().list(userId="me", startHistoryId=sim.history_id(SUPPORT)).execute()
    users.messages().list(userId="me").execute()
    users.messages().get(userId="me", id=mid).execute()
    users.messages().modify(userId="me", id=mid, body={"addLabelIds": ["STARRED"]}).execute()
    users.messages().batchModify(userId="me", body={"ids": [mid], "addLabelIds": ["IMPORTANT"]}).execute()
    users.watch(userId="me", body={"topicName": "projects/p/topics/t"}).execute()
    users.stop(userId="me").execute()
    methods = sim.counters(SUPPORT)["methods"]
    assert {m: v["units"] for m, v in methods.items()} == {
        "getProfile": 1,
        "labels.list": 1,
        "labels.create": 5,
        "history.list": 2,
        "messages.list": 5,
        "messages.get": 5,
        "messages.modify": 5,
        "messages.batchModify": 50,
        "watch": 100,
        "stop": 50,
    }
    assert sim.counters(SUPPORT)["units"] == 224
    sim.reset_counters()
    assert sim.counters(SUPPORT)["calls"] == 0


def test_per_minute_budget_answers_429_rate_limit_exceeded(sim, gmail):
    sim.set_quota(per_minute=12)
    mid = sim.deliver(SUPPORT, make_mail())
    gmail.users().messages().get(userId="me", id=mid).execute()
    gmail.users().messages().get(userId="me", id=mid).execute()
    with pytest.raises(HttpError) as info:
        gmail.users().messages().get(userId="me", id=mid).execute()
    error = api_error(info.value)
    assert (error["code"], error["reason"], error["domain"], error["status"]) == (
        429,
        "rateLimitExceeded",
        "usageLimits",
        "RESOURCE_EXHAUSTED",
    )
    gmail.users().getProfile(userId="me").execute()  # 1 unit still fits (10 + 1 <= 12)
    sim.advance_clock(61)  # the minute rolls on
    gmail.users().messages().get(userId="me", id=mid).execute()
    assert sim.counters(SUPPORT)["methods"]["messages.get"]["errors"] == 1


def test_budget_is_per_user(sim, gmail_client):
    sim.set_quota(per_minute=1)
    a, b = gmail_client("a@example.com"), gmail_client("b@example.com")
    a.users().getProfile(userId="me").execute()
    b.users().getProfile(userId="me").execute()
    with pytest.raises(HttpError):
        a.users().getProfile(userId="me").execute()


def test_budget_can_answer_403_user_rate_limit_exceeded(sim, gmail):
    sim.config.quota_error_status = 403
    sim.set_quota(per_minute=0)
    with pytest.raises(HttpError) as info:
        gmail.users().getProfile(userId="me").execute()
    assert (api_error(info.value)["code"], api_error(info.value)["reason"]) == (403, "userRateLimitExceeded")


def test_batch_parts_each_pay_their_units(sim, gmail):
    sim.set_quota(per_minute=5 * 10)
    mid = sim.deliver(SUPPORT, make_mail())
    errors = []
    batch = gmail.new_batch_http_request(callback=lambda rid, resp, exc: errors.append(exc))
    for _ in range(12):
        batch.add(gmail.users().messages().get(userId="me", id=mid))
    batch.execute()
    assert errors[:10] == [None] * 10
    assert [api_error(e)["code"] for e in errors[10:]] == [429, 429]


def _concurrent_gets(gmail_client, sim, n: int) -> list[object]:
    clients = [gmail_client(SUPPORT) for _ in range(n)]
    mid = sim.deliver(SUPPORT, make_mail())
    for client in clients:  # refresh tokens and open connections first
        client.users().getProfile(userId="me").execute()
    outcomes: list[object] = []
    barrier = threading.Barrier(n)

    def one(client) -> None:
        barrier.wait()
        try:
            client.users().messages().get(userId="me", id=mid).execute()
            outcomes.append("ok")
        except HttpError as exc:
            outcomes.append(api_error(exc))

    threads = [threading.Thread(target=one, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_concurrency_cap_of_10_per_user(sim, gmail_client):
    sim.set_latency(per_method={"messages.get": 300})
    outcomes = _concurrent_gets(gmail_client, sim, 14)
    assert outcomes.count("ok") == 10
    refused = [o for o in outcomes if o != "ok"]
    assert len(refused) == 4
    assert all(o["code"] == 429 and o["message"] == "Too many concurrent requests for user" for o in refused)


def test_a_batch_is_one_in_flight_request(sim, gmail_client):
    """With ten slow gets in flight a batch is refused (429) as a whole; with nine it takes the tenth slot,
    and its twenty parts run one after another inside it."""
    sim.set_latency(per_method={"messages.get": 600, "batch": 0})
    clients = [gmail_client(SUPPORT) for _ in range(11)]
    mid = sim.deliver(SUPPORT, make_mail())
    for client in clients:
        client.users().getProfile(userId="me").execute()

    def batch_while_busy(busy: int) -> list[object]:
        threads = [
            threading.Thread(target=c.users().messages().get(userId="me", id=mid).execute) for c in clients[:busy]
        ]
        for t in threads:
            t.start()
        time.sleep(0.25)
        outcomes: list[object] = []
        batch = clients[10].new_batch_http_request(callback=lambda rid, resp, exc: outcomes.append(exc))
        for _ in range(20):
            batch.add(clients[10].users().labels().list(userId="me"))
        try:
            batch.execute()
        except HttpError as exc:
            outcomes = [api_error(exc)]
        for t in threads:
            t.join()
        return outcomes

    refused = batch_while_busy(10)
    assert len(refused) == 1 and refused[0]["message"] == "Too many concurrent requests for user"
    assert batch_while_busy(9) == [None] * 20
