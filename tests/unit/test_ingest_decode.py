"""Decoding the events that ask for a sync; poison is recognised, not retried."""

import pytest

from gmail_tickets.errors import PoisonEvent
from gmail_tickets.services.ingest import decode_event


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
