"""Decoding the events that ask for a sync; poison is recognised, not retried."""

import pytest

from gmail_tickets.errors import PoisonEvent
from gmail_tickets.services.ingest import decode_event, merged_request


def test_gmail_notification() -> None:
    request = decode_event(b'{"emailAddress": "Support@Example.com", "historyId": "12345"}')
    assert (request.address, request.history_id, request.source) == ("support@example.com", 12345, "push")


def test_sweep_request_has_no_history_id() -> None:
    request = decode_event(b'{"emailAddress": "a@b.c", "source": "sweep"}')
    assert (request.history_id, request.source) == (None, "sweep")


@pytest.mark.parametrize(
    "data",
    [b"not json", b"\xff\xfe", b"[1, 2]", b"{}", b'{"emailAddress": 5}', b'{"emailAddress": "a@b", "historyId": "x"}'],
)
def test_poison(data: bytes) -> None:
    with pytest.raises(PoisonEvent):
        decode_event(data)


@pytest.mark.parametrize(
    "data",
    [b'{"emailAddress": "a@b", "historyId": Infinity}', b'{"emailAddress": "a@b", "historyId": -Infinity}',
     b'{"emailAddress": "a@b", "historyId": NaN}', b'{"emailAddress": "a@b", "historyId": 1e400}',
     b'{"emailAddress": "a@b", "historyId": 1e30}', b'{"emailAddress": "a@b", "historyId": -1}',
     b'{"emailAddress": "a@b", "historyId": 12.5}', b'{"emailAddress": "a@b", "historyId": true}',
     b'{"emailAddress": "a@b", "historyId": "18446744073709551616"}', b'{"emailAddress": "a@b", "historyId": " 1"}',
     b'{"emailAddress": "a@b", "historyId": {"a": 1}}', b'{"emailAddress": ["a@b"]}',
     b'{"emailAddress": "a@b", "source": 5}', b'{"emailAddress": "a@b", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
     b"[" * 50_000, b'{"emailAddress": "a@b", "x": [[[[[[[[[[1]]]]]]]]]]}'],
)
def test_malformed_events_are_poison_not_errors(data: bytes) -> None:
    with pytest.raises(PoisonEvent):
        decode_event(data)


def test_the_largest_history_id_is_accepted() -> None:
    assert decode_event(b'{"emailAddress": "a@b", "historyId": 18446744073709551615}').history_id == 2**64 - 1
    assert decode_event(b'{"emailAddress": "a@b", "historyId": 5.0}').history_id == 5


def test_two_waiting_sync_requests_merge_into_the_one_that_asks_most() -> None:
    push = b'{"emailAddress": "a@b.c", "historyId": "10"}'
    later = b'{"emailAddress": "A@b.c", "historyId": "12"}'
    sweep = b'{"emailAddress": "a@b.c", "source": "sweep"}'
    assert merged_request(push, later) == later  # the sync must reach the later id
    assert merged_request(later, push) == later
    assert merged_request(push, sweep) == sweep  # never stale: a sync happens whatever the cursor
    assert merged_request(sweep, later) == sweep
    assert merged_request(push, b'{"emailAddress": "x@b.c", "historyId": "12"}') is None  # another mailbox
    assert merged_request(push, b"not json") is None  # poison stays its own message, to be quarantined
