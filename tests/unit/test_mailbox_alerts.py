"""domain/mailbox_alerts.py: recorded OAuth/Gmail reasons in plain words, the banner's alerts and when Gmail
takes mail again; domain/address_actions.py: which actions apply and why not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gmail_tickets.domain import address_actions, mailbox_alerts
from gmail_tickets.domain.mailbox_alerts import Action, explain
from gmail_tickets.domain.model import AccountKind, Connection, ConnectionStatus
from gmail_tickets.domain.outbox import SendWindow

NOW = datetime(2026, 12, 5, 10, 30, tzinfo=UTC)
HOUR = NOW.replace(minute=0)


@pytest.mark.parametrize(("recorded", "words"), [
    ("Google access was revoked: token refresh failed: invalid_grant (refresh token expired or revoked)",
     "access was revoked in the Google account"),
    ("Google access was revoked: Gmail send: HTTP 401 after a token refresh", "access was revoked"),
    ("Disconnected by an admin", "an admin disconnected it"),
    ("Google access was revoked: no refresh token stored for a@b.example", "stored Google sign-in is missing"),
    ("Gmail refused: Gmail list: HTTP 403 insufficientPermissions: Request had insufficient authentication scopes",
     "less access than gmail.modify"),
    ("token refresh failed: admin_policy_enforced", "Google Workspace admin does not allow this app"),
    ("token refresh failed: invalid_client", "OAuth client was deleted, disabled"),
    ("Gmail refused: HTTP 400 failedPrecondition: Mail service not enabled", "Gmail is turned off"),
    ("Import failed: KeyError", "first import stopped"),
    ("something nobody has seen", "Gmail refused to work with it"),
    (None, "it is not connected"),
])
def test_known_reasons_in_plain_words_and_reconnect_helps(recorded: str | None, words: str) -> None:
    explained = explain(recorded)
    assert words in explained.plain
    assert explained.action is Action.RECONNECT and "Reconnect" in explained.action_text
    assert "invalid_grant" not in explained.plain and "HTTP" not in explained.plain


def test_a_testing_client_whose_token_died_is_told_why() -> None:
    recorded = "Google access was revoked: token refresh failed: invalid_grant (refresh token expired or revoked)"
    assert explain(recorded, testing_client=True).plain.startswith(
        "the OAuth client is in Testing: tokens expire after 7 days")
    assert "Testing" not in explain("Disconnected by an admin", testing_client=True).plain


def test_limit_text_names_both_limits_and_what_counts() -> None:
    text = mailbox_alerts.limit_text(AccountKind.WORKSPACE, 2000)
    assert "2,000 recipients" in text and "rolling 24 hours" in text and "500 for gmail.com" in text
    assert "Cc and Bcc" in text and "from Gmail itself" in text
    assert "gmail.com account" in mailbox_alerts.limit_text(AccountKind.GMAIL, 500)


def test_gmail_again_at_is_gmails_own_time_first_then_our_count() -> None:
    blocked = SendWindow("a@x.example", {HOUR: 3}, blocked_until=NOW + timedelta(hours=5))
    assert mailbox_alerts.gmail_again_at(blocked, 500, NOW) == NOW + timedelta(hours=5)
    full = SendWindow("a@x.example", {HOUR - timedelta(hours=2): 300, HOUR: 200})
    assert mailbox_alerts.gmail_again_at(full, 500, NOW) == HOUR - timedelta(hours=2) + timedelta(hours=25)
    assert mailbox_alerts.gmail_again_at(SendWindow("a@x.example", {HOUR: 5}), 500, NOW) is None


def test_alerts_name_the_disconnected_and_those_at_the_limit_only() -> None:
    connections = [
        Connection("ok@x.example", account_kind=AccountKind.WORKSPACE),
        Connection("full@x.example", account_kind=AccountKind.WORKSPACE),
        Connection("gone@x.example", status=ConnectionStatus.DISCONNECTED,
                   last_error="Google access was revoked: token refresh failed: invalid_grant"),
        Connection("relayonly@x.example", send_via_gmail=False),
    ]
    windows = {"full@x.example": SendWindow("full@x.example", blocked_until=NOW + timedelta(hours=2)),
               "ok@x.example": SendWindow("ok@x.example", {HOUR: 10}),
               "relayonly@x.example": SendWindow("relayonly@x.example", {HOUR: 900})}
    found = mailbox_alerts.alerts(connections, windows, lambda c: 2000 if c.account_kind == "workspace" else 500, NOW)
    assert [(a.address, a.problem, a.action) for a in found] == [
        ("full@x.example", "limit", Action.TURN_GMAIL_SENDING_OFF),
        ("gone@x.example", "disconnected", Action.RECONNECT)]
    assert found[0].until == NOW + timedelta(hours=2)
    assert "revoked in the Google account" in found[1].plain


def test_the_action_at_the_limit_depends_on_the_relay_and_the_address_kind() -> None:
    domain = Connection("a@x.example", account_kind=AccountKind.WORKSPACE)
    consumer = Connection("a@gmail.com", account_kind=AccountKind.GMAIL)
    assert mailbox_alerts.limit_action(domain, relay=True) is Action.TURN_GMAIL_SENDING_OFF
    assert mailbox_alerts.limit_action(consumer, relay=True) is Action.KEEP_GMAIL_SENDING
    assert mailbox_alerts.limit_action(domain, relay=False) is Action.SET_UP_RELAY
    assert "DMARC" in mailbox_alerts.ACTION_TEXT[Action.KEEP_GMAIL_SENDING]
    assert "relay sends" in mailbox_alerts.ACTION_TEXT[Action.TURN_GMAIL_SENDING_OFF]


def test_each_action_that_cannot_apply_says_why() -> None:
    default = address_actions.AddressState("d@x.example", is_default=True, gmail=True, active=True)
    connected = address_actions.AddressState("c@x.example", is_default=False, gmail=True, active=True)
    away = address_actions.AddressState("a@x.example", is_default=False, gmail=True, active=False)
    assert "default address" in (address_actions.disconnect_refusal(default) or "")
    assert "default address" in (address_actions.delete_refusal(default) or "")
    assert "Disconnect c@x.example first" in (address_actions.delete_refusal(connected) or "")
    assert "reconnect it first" in (address_actions.make_default_refusal(away) or "")
    assert address_actions.refusals(connected) == {"disconnect": None, "delete": address_actions.delete_refusal(
        connected), "make_default": None}
    assert address_actions.refusals(away)["delete"] is None
