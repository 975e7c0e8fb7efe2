"""History that names no candidate is passed over without the lease (services/sync_mailbox.py, `_pass_over`).

Gmail pushes for our own sent mail whatever the watch's INBOX filter, so every acknowledgement or reply sent
through Gmail wakes a sync that has nothing to record. Counted on real parts (simulator over HTTP, SQLite and the
Firestore emulator at the wire): no lease taken, one write (the cursor); and the sync that does find mail reads
history once, not twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from devstack.scale_counters import Tally
from gmail_tickets.adapters.sqlite_store import SqliteStore
from gmail_tickets.domain.model import Outcome
from gmail_tickets.errors import ComeBackLater
from gmail_tickets.ports import Store
from gmail_tickets.services.ingest import ingest_event
from gmail_tickets.services.sync_mailbox import sync_mailbox
from tests.fixtures.sim import make_mail
from tests.integration.ingest_harness import IngestHarness
from tests.integration.test_per_mail_cost import wire_counted

SUPPORT = "support@example.com"


class LeaseCountingStore:
    """The real store, counting the leases taken through it."""

    def __init__(self, inner: Store) -> None:
        self._inner, self.taken = inner, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def take_lease(self, *args: Any, **kwargs: Any) -> Any:
        self.taken += 1
        return self._inner.take_lease(*args, **kwargs)


@pytest.fixture
def harness(sim, sim_server, store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[IngestHarness]:
    tally = Tally()
    h = IngestHarness(sim, sim_server, wire_counted(store, tally, monkeypatch), tmp_path, mailboxes=(SUPPORT,))
    h.tally = tally  # type: ignore[attr-defined]
    assert sync_mailbox(h.deps, SUPPORT).status == "synced"  # the cursor and the label id are stored
    yield h


def send_through_gmail(h: IngestHarness) -> None:
    """What an acknowledgement does: a message sent from the mailbox, a SENT record in its history."""
    h.deps.mailbox_for(SUPPORT).send(make_mail(sender=SUPPORT, to="customer@example.org", subject="Re: your request"))


def history_calls(h: IngestHarness) -> int:
    return int(h.sim.counters(SUPPORT)["methods"].get("history.list", {}).get("calls", 0))


def test_a_push_for_our_own_sent_mail_moves_the_cursor_without_the_lease(harness: IngestHarness) -> None:
    counting = LeaseCountingStore(harness.store)
    harness.deps.store = counting  # type: ignore[assignment]
    send_through_gmail(harness)
    before = harness.tally.kinds()  # type: ignore[attr-defined]
    result = ingest_event(harness.deps, harness.notification())
    kinds = harness.tally.kinds() - before  # type: ignore[attr-defined]
    assert result is not None and result.status == "synced" and not result.outcomes
    assert counting.taken == 0, "a sync with nothing to record took the lease"
    assert harness.store.get_connection(SUPPORT).history_id == int(harness.sim.profile(SUPPORT)["historyId"])
    assert "leases" not in kinds and "leases (delete)" not in kinds, kinds
    if not isinstance(harness.store, SqliteStore):
        assert sum(kinds.values()) == 1 and kinds["connections"] == 1, kinds  # the cursor: one billed write


def test_a_sync_that_finds_mail_takes_the_lease_and_reads_history_once(harness: IngestHarness) -> None:
    counting = LeaseCountingStore(harness.store)
    harness.deps.store = counting  # type: ignore[assignment]
    ids = harness.deliver_requests(3)
    before = history_calls(harness)
    result = ingest_event(harness.deps, harness.notification())
    assert result is not None and result.outcomes[Outcome.TICKET.value] == 3
    assert counting.taken == 1
    assert history_calls(harness) - before == 1  # the page read before the lease is the sync's first
    harness.assert_exactly_once(SUPPORT, ids)


def test_while_another_sync_holds_the_lease_a_push_asks_gmail_nothing(harness: IngestHarness) -> None:
    now: datetime = harness.deps.clock.now()
    assert harness.store.take_lease(f"sync:{SUPPORT}", "another-instance", now, 30.0).taken
    send_through_gmail(harness)
    before = history_calls(harness)
    with pytest.raises(ComeBackLater):  # busy, and this event watches the holder's lease: as before
        ingest_event(harness.deps, harness.notification())
    assert history_calls(harness) == before
