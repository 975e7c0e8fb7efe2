"""Webhooks' pure parts: the signature receivers check, the backoff and its budget, and which target addresses
the transport refuses (after DNS: a public name that resolves to a private address is refused too)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from gmail_tickets.adapters.webhook_http import RequestsWebhookTransport, allowed_address
from gmail_tickets.domain.webhooks import DeliveryState, RetryRules, WebhookDelivery, backoff, signature, verify

T0 = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"id":"evt_1"}'
    expected = hmac.new(b"whsec_x", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("whsec_x", 1700000000, body) == f"t=1700000000,v1={expected}"


def test_verify_needs_the_secret_the_body_and_a_recent_timestamp() -> None:
    header = signature("whsec_x", 1700000000, b"{}")
    assert verify("whsec_x", header, b"{}", now=1700000100)
    assert not verify("whsec_y", header, b"{}", now=1700000100)
    assert not verify("whsec_x", header, b"{ }", now=1700000100)
    assert not verify("whsec_x", header, b"{}", now=1700000000 + 301)  # a replay, too old
    assert not verify("whsec_x", "garbage", b"{}", now=1700000000)


def test_backoff_doubles_to_the_ceiling() -> None:
    rules = RetryRules(first=timedelta(seconds=30), ceiling=timedelta(minutes=30))
    assert [backoff(n, rules).total_seconds() for n in (1, 2, 3, 7, 100)] == [30, 60, 120, 1800, 1800]


def test_a_delivery_fails_once_the_budget_from_its_first_failure_is_spent() -> None:
    d = WebhookDelivery(id="d", endpoint_id="e", event="ticket.created", event_id="evt", stream="ticket-1",
                        order_key="k", body="{}")
    rules = RetryRules(budget=timedelta(hours=24))
    d.claim("h", T0, timedelta(seconds=30))
    d.mark_failed_attempt("answered 500", 500, T0, rules)
    assert d.state == DeliveryState.RETRYING and not d.claimable(T0) and d.claimable(T0 + timedelta(seconds=30))
    d.claim("h", T0 + timedelta(hours=24), timedelta(seconds=30))
    assert not d.claimable(T0 + timedelta(hours=24))  # held by a live sender
    d.mark_failed_attempt("answered 500", 500, T0 + timedelta(hours=24), rules)
    assert d.state == DeliveryState.FAILED and d.stream_pos is None and d.pending_pos is None
    assert len(d.history) == 2


@pytest.mark.parametrize("address, allowed", [
    ("93.184.216.34", True), ("2606:2800:220:1:248:1893:25c8:1946", True),
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("::1", False), ("fe80::1", False), ("fc00::1", False), ("0.0.0.0", False),
    ("::ffff:127.0.0.1", False), ("100.64.0.1", False), ("224.0.0.1", False),
])
def test_private_loopback_link_local_and_reserved_addresses_are_refused(address: str, allowed: bool) -> None:
    assert allowed_address(address, allow_private=False) is allowed
    assert allowed_address(address, allow_private=True)


def test_a_public_name_resolving_to_a_private_address_is_refused_before_connecting() -> None:
    transport = RequestsWebhookTransport(resolver=lambda host, port: ["93.184.216.34", "10.0.0.5"])
    result = transport.post("https://hooks.example.com/x", b"{}", {})
    assert result.permanent and result.status is None and "10.0.0.5" in (result.error or "")


def test_the_post_goes_to_the_checked_address_with_the_name_as_host() -> None:
    transport = RequestsWebhookTransport(resolver=lambda host, port: ["93.184.216.34"])
    assert transport._pin("https://hooks.example.com:8443/in?a=1") == (
        "https://93.184.216.34:8443/in?a=1", "hooks.example.com:8443", "hooks.example.com")
    v6 = RequestsWebhookTransport(resolver=lambda host, port: ["2606:2800:220:1::1"])
    assert v6._pin("http://h.example.com/")[0] == "http://[2606:2800:220:1::1]/"
