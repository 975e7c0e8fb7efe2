"""adapters/records.py: records <-> the dicts both stores keep, derived from the dataclasses. Plain values."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gmail_tickets.adapters.records import from_doc, to_doc, ts
from gmail_tickets.domain.model import Attachment, Comment, Connection, ConnectionStatus, LedgerEntry, Outcome
from gmail_tickets.domain.outbox import AttachmentRef, Notification, NotificationState, SendWindow

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)


def test_times_are_fixed_width_utc_text_so_text_order_is_time_order() -> None:
    assert ts(T0) == "2024-05-17T09:30:15.123456+00:00"
    assert ts(T0.replace(microsecond=0)) == "2024-05-17T09:30:15.000000+00:00"
    assert ts(T0.astimezone(timezone(timedelta(hours=2)))) == ts(T0)
    assert ts(datetime(2024, 5, 17, 9, 30, 15)) == "2024-05-17T09:30:15.000000+00:00"  # naive: taken as UTC
    earlier, later = T0.replace(microsecond=999_999), T0 + timedelta(seconds=1)
    assert (ts(earlier) or "") < (ts(later) or "")


def test_a_notification_round_trips_through_json() -> None:
    n = Notification(
        id="t7-created-x", ticket_id=7, event="created", connection="help@acme.test", from_address="help@acme.test",
        to=("ann@x.test",), cc=("bob@x.test",), subject="s", text="t", message_id="m",
        attachments=(AttachmentRef("a.pdf", "application/pdf", 3, "attachments/aa"),), state=NotificationState.SENDING,
        route="gmail", created_at=T0, lease_until=T0 + timedelta(minutes=6))
    doc = json.loads(json.dumps(to_doc(n)))
    assert doc["state"] == "sending" and doc["to"] == ["ann@x.test"] and doc["created_at"] == ts(T0)
    assert doc["attachments"] == [{"filename": "a.pdf", "content_type": "application/pdf", "size": 3,
                                   "blob_key": "attachments/aa"}]
    assert from_doc(Notification, doc) == n


def test_time_keyed_buckets_round_trip() -> None:
    window = SendWindow("help@acme.test", {T0.replace(minute=0, second=0, microsecond=0): 4}, blocked_until=T0)
    assert from_doc(SendWindow, json.loads(json.dumps(to_doc(window)))) == window


def test_missing_keys_and_nulls_read_as_defaults() -> None:
    """Records written before a field existed read back as "not known"."""
    got = from_doc(Connection, {"address": "help@acme.test", "warnings": None, "import_total": None})
    assert got == Connection("help@acme.test")
    comment = from_doc(Comment, {"ticket_id": 7, "author": "a", "body_text": "b", "created_at": ts(T0),
                                 "connection": "c", "attachments": [{"filename": "f", "content_type": "t", "size": 1}]})
    assert comment.author_kind == "customer" and comment.attachments == [Attachment("f", "t", 1)]


def test_stored_timestamps_are_read_too_and_made_plain_utc() -> None:
    """Firestore documents written before this format hold timestamps, not text."""
    entry = from_doc(LedgerEntry, {"connection": "c", "gmail_message_id": "g", "outcome": "ticket",
                                   "created_at": T0.astimezone(timezone(timedelta(hours=-5)))})
    assert entry == LedgerEntry("c", "g", Outcome.TICKET, created_at=T0)
    assert entry.created_at is not None and entry.created_at.tzinfo is UTC


def test_enums_are_stored_as_values_and_unknown_keys_ignored() -> None:
    doc = to_doc(Connection("help@acme.test", status=ConnectionStatus.ERROR))
    assert doc["status"] == "error"
    assert from_doc(Connection, {**doc, "connection_pos": "x"}).status is ConnectionStatus.ERROR


def test_a_missing_required_field_is_an_error() -> None:
    with pytest.raises(KeyError, match="gmail_message_id"):
        from_doc(LedgerEntry, {"connection": "c", "outcome": "ticket"})
