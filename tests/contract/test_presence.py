"""Contract: Presence ("Ana is replying"), in memory (one machine) and on Firestore (every cloud instance).

An entry shows until its `until` and not after; renewing moves it on; two agents on one ticket are both seen and
another ticket sees neither. A presence that kept a closed tab forever would tell agents someone is answering a
customer nobody is answering.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gmail_tickets.adapters.firestore_presence import FirestorePresence
from gmail_tickets.ports.presence import Presence
from gmail_tickets.services.presence import MemoryPresence, typing_until

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", pytest.param("firestore", marks=pytest.mark.firestore)])
def presence(request: pytest.FixtureRequest) -> Presence:
    if request.param == "memory":
        return MemoryPresence()
    store = request.getfixturevalue("firestore_store")
    return FirestorePresence(store.client, store.prefix)


def test_typing_shows_until_it_expires_and_renewing_moves_it_on(presence: Presence) -> None:
    assert presence.typing_on(7, T0) == {}
    presence.typing(7, "ana@acme.test", "Ana", typing_until(T0))
    assert presence.typing_on(7, T0 + timedelta(seconds=5)) == {"ana@acme.test": "Ana"}
    assert presence.typing_on(7, typing_until(T0) + timedelta(seconds=1)) == {}
    presence.typing(7, "ana@acme.test", "Ana", typing_until(T0 + timedelta(seconds=10)))
    assert presence.typing_on(7, typing_until(T0) + timedelta(seconds=1)) == {"ana@acme.test": "Ana"}


def test_two_agents_on_one_ticket_and_none_on_another(presence: Presence) -> None:
    presence.typing(7, "ana@acme.test", "Ana", typing_until(T0))
    presence.typing(7, "bo@acme.test", "Bo", typing_until(T0))
    assert presence.typing_on(7, T0) == {"ana@acme.test": "Ana", "bo@acme.test": "Bo"}
    assert presence.typing_on(8, T0) == {}
