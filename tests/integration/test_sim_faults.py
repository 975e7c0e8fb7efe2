"""Injected faults and latency, seen through the real client."""

from __future__ import annotations

import time

import pytest
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from tests.fixtures.sim import SUPPORT, api_error, make_mail


def test_next_n_calls_of_a_method_fail_with_backend_error(sim, gmail):
    mid = sim.deliver(SUPPORT, make_mail())
    sim.inject_faults(503, count=2, method="messages.get")
    for _ in range(2):
        with pytest.raises(HttpError) as info:
            gmail.users().messages().get(userId="me", id=mid).execute()
        error = api_error(info.value)
        assert (error["code"], error["reason"], error["status"]) == (503, "backendError", "UNAVAILABLE")
    gmail.users().getProfile(userId="me").execute()  # other methods unaffected
    assert gmail.users().messages().get(userId="me", id=mid).execute()["id"] == mid
    counters = sim.counters(SUPPORT)["methods"]["messages.get"]
    assert counters == {"calls": 3, "units": 5, "errors": 2}  # failed calls pay no units


def test_500_is_internal_backend_error(sim, gmail):
    sim.inject_faults(500)
    with pytest.raises(HttpError) as info:
        gmail.users().labels().list(userId="me").execute()
    assert (api_error(info.value)["code"], api_error(info.value)["reason"]) == (500, "backendError")


def test_rate_limit_faults_with_retry_after(sim, gmail):
    sim.inject_faults(429, retry_after=7)
    sim.inject_faults(403, reason="rateLimitExceeded")
    sim.inject_faults(403)
    with pytest.raises(HttpError) as info:
        gmail.users().getProfile(userId="me").execute()
    assert api_error(info.value)["reason"] == "rateLimitExceeded" and info.value.resp["retry-after"] == "7"
    with pytest.raises(HttpError) as info:
        gmail.users().getProfile(userId="me").execute()
    assert (api_error(info.value)["code"], api_error(info.value)["reason"]) == (403, "rateLimitExceeded")
    with pytest.raises(HttpError) as info:
        gmail.users().getProfile(userId="me").execute()
    error = api_error(info.value)
    assert (error["code"], error["reason"], error["domain"]) == (403, "userRateLimitExceeded", "usageLimits")
    gmail.users().getProfile(userId="me").execute()


def test_faults_target_one_mailbox(sim, gmail_client):
    a, b = gmail_client("a@example.com"), gmail_client("b@example.com")
    sim.inject_faults(503, address="a@example.com")
    b.users().getProfile(userId="me").execute()
    with pytest.raises(HttpError):
        a.users().getProfile(userId="me").execute()


def test_faults_hit_batch_parts(sim, gmail):
    mid = sim.deliver(SUPPORT, make_mail())
    sim.inject_faults(503, count=1, method="messages.get")
    errors = []
    batch = gmail.new_batch_http_request(callback=lambda rid, resp, exc: errors.append(exc))
    for _ in range(3):
        batch.add(gmail.users().messages().get(userId="me", id=mid))
    batch.execute()
    assert api_error(errors[0])["code"] == 503 and errors[1:] == [None, None]


def test_token_endpoint_fault(sim, gmail):
    sim.inject_faults(400, method="token", reason="invalid_grant", message="Token has been expired or revoked.")
    with pytest.raises(RefreshError):
        gmail.users().getProfile(userId="me").execute()
    gmail.users().getProfile(userId="me").execute()


def test_latency_default_and_per_method(sim, gmail):
    gmail.users().getProfile(userId="me").execute()
    sim.set_latency(default_ms=60, per_method={"labels.list": 0})
    start = time.perf_counter()
    for _ in range(3):
        gmail.users().getProfile(userId="me").execute()
    assert time.perf_counter() - start >= 0.18
    start = time.perf_counter()
    gmail.users().labels().list(userId="me").execute()
    assert time.perf_counter() - start < 0.05


def test_a_batch_sleeps_the_latency_once(sim, gmail):
    gmail.users().getProfile(userId="me").execute()
    sim.set_latency(default_ms=100)
    batch = gmail.new_batch_http_request()
    for _ in range(10):
        batch.add(gmail.users().getProfile(userId="me"))
    start = time.perf_counter()
    batch.execute()
    assert 0.1 <= time.perf_counter() - start < 0.5
