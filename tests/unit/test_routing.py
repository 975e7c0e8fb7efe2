"""Gmail or relay: the boundary of the limit and each reason to fall back."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gmail_tickets.domain import routing
from gmail_tickets.domain.model import AccountKind, Connection, ConnectionStatus
from gmail_tickets.domain.outbox import Notification, SendWindow
from gmail_tickets.domain.routing import Route, choose_route, route_notification
from gmail_tickets.domain.send_window import limit_for, record, sent_in_window

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def route(**overrides: Any) -> Route:
    """A mail that goes via Gmail, with the named inputs changed."""
    args: dict[str, Any] = {
        "send_via_gmail": True,
        "connection_status": "connected",
        "has_attachments": False,
        "recipients": 1,
        "sent_24h": 0,
        "limit": 500,
        "limit_reached_until": None,
        "now": NOW,
    }
    args.update(overrides)
    return choose_route(**args)


def test_the_happy_path_goes_via_gmail() -> None:
    r = route()
    assert r.via == "gmail"
    assert r.reason


@pytest.mark.parametrize(("total", "via"), [(499, "gmail"), (500, "gmail"), (501, "relay")])
def test_the_limit_boundary_exactly(total: int, via: str) -> None:
    assert route(sent_24h=total - 1, recipients=1).via == via


def test_a_mail_with_several_recipients_crossing_the_limit_goes_whole_to_the_relay() -> None:
    assert route(sent_24h=497, recipients=3).via == "gmail"
    r = route(sent_24h=497, recipients=4)
    assert r.via == "relay"
    assert "limit" in r.reason and "497 of 500" in r.reason


def test_send_via_gmail_off() -> None:
    assert route(send_via_gmail=False) == Route("relay", routing.REASON_GMAIL_OFF)


@pytest.mark.parametrize("status", [ConnectionStatus.DISCONNECTED, ConnectionStatus.ERROR, "disconnected", "error"])
def test_a_connection_that_is_not_connected(status: str) -> None:
    r = route(connection_status=status)
    assert r.via == "relay"
    assert str(status) in r.reason


def test_connected_as_enum_or_string() -> None:
    assert route(connection_status=ConnectionStatus.CONNECTED).via == "gmail"


def test_attachments() -> None:
    assert route(has_attachments=True) == Route("relay", routing.REASON_ATTACHMENTS)


def test_a_limit_block_in_force() -> None:
    until = NOW + timedelta(hours=3)
    r = route(limit_reached_until=until)
    assert r.via == "relay"
    assert "Gmail reported" in r.reason and "2026-11-28 15:00" in r.reason


@pytest.mark.parametrize("until", [NOW, NOW - timedelta(seconds=1), NOW - timedelta(days=1)])
def test_the_block_expires(until: datetime) -> None:
    assert route(limit_reached_until=until).via == "gmail"


def test_over_the_limit() -> None:
    r = route(sent_24h=500, recipients=1)
    assert r.via == "relay"
    assert "would pass the Gmail limit" in r.reason


def test_precedence_first_reason_wins() -> None:
    everything_wrong: dict[str, Any] = {
        "send_via_gmail": False,
        "connection_status": "error",
        "has_attachments": True,
        "limit_reached_until": NOW + timedelta(hours=1),
        "sent_24h": 10_000,
    }
    assert route(**everything_wrong).reason == routing.REASON_GMAIL_OFF
    everything_wrong["send_via_gmail"] = True
    assert "error" in route(**everything_wrong).reason
    everything_wrong["connection_status"] = "connected"
    assert route(**everything_wrong).reason == routing.REASON_ATTACHMENTS
    everything_wrong["has_attachments"] = False
    assert "Gmail reported" in route(**everything_wrong).reason
    everything_wrong["limit_reached_until"] = None
    assert "would pass the Gmail limit" in route(**everything_wrong).reason
    everything_wrong["sent_24h"] = 0
    assert route(**everything_wrong).via == "gmail"


def test_workspace_vs_gmail_limits() -> None:
    for kind, via in [(AccountKind.GMAIL, "relay"), (AccountKind.WORKSPACE, "gmail")]:
        assert route(sent_24h=1000, recipients=5, limit=limit_for(kind)).via == via


def test_the_window_freeing_after_24_hours_brings_gmail_back() -> None:
    sent_at = NOW.replace(minute=30)
    buckets = record({}, sent_at, 500)

    def via_at(now: datetime) -> str:
        return route(sent_24h=sent_in_window(buckets, now), now=now).via

    assert via_at(sent_at + timedelta(hours=1)) == "relay"
    assert via_at(NOW + timedelta(hours=24, minutes=59)) == "relay"  # the hour is not entirely past yet
    assert via_at(NOW + timedelta(hours=25)) == "gmail"


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        route(recipients=-1)


# --------------------------------------------------------------------------- an outbox record's route


def _record(**overrides: Any) -> Notification:
    fields: dict[str, Any] = {"id": "n1", "ticket_id": 1, "event": "created", "connection": "s@example.com",
                              "from_address": "s@example.com", "to": ("a@example.org", "b@example.org"),
                              "subject": "Re: x", "text": "x", "message_id": "m@example.com"}
    fields.update(overrides)
    return Notification(**fields)


def test_a_record_gmail_refused_for_good_stays_with_the_relay() -> None:
    refused = _record(force_relay=True, route_reason="Gmail refused the mail: 400")
    assert route_notification(refused, Connection("s@example.com"), SendWindow("s@example.com"), send_limit=None,
                              now=NOW) == Route("relay", "Gmail refused the mail: 400")
    assert route_notification(_record(force_relay=True), None, SendWindow("s@example.com"), send_limit=None,
                              now=NOW) == Route("relay", routing.REASON_GMAIL_REFUSED)


def test_a_record_whose_connection_is_gone_goes_via_the_relay() -> None:
    assert route_notification(_record(), None, SendWindow("s@example.com"), send_limit=None,
                              now=NOW) == Route("relay", routing.REASON_NO_CONNECTION)


@pytest.mark.parametrize(("kind", "override", "sent", "via"), [
    (AccountKind.GMAIL, None, 498, "gmail"),
    (AccountKind.GMAIL, None, 499, "relay"),  # two recipients would pass 500
    (AccountKind.WORKSPACE, None, 1998, "gmail"),
    (AccountKind.WORKSPACE, 10, 9, "relay"),  # the admin's override wins
])
def test_a_record_counts_its_recipients_against_the_accounts_window(kind: AccountKind, override: int | None,
                                                                     sent: int, via: str) -> None:
    hour = NOW.replace(minute=0)
    window = SendWindow("s@example.com", {hour: sent})
    connection = Connection("s@example.com", account_kind=kind)
    assert route_notification(_record(), connection, window, send_limit=override, now=NOW).via == via


def test_a_record_follows_the_block_on_the_window() -> None:
    window = SendWindow("s@example.com", blocked_until=NOW + timedelta(hours=1))
    r = route_notification(_record(), Connection("s@example.com"), window, send_limit=None, now=NOW)
    assert r.via == "relay" and "Gmail reported" in r.reason
