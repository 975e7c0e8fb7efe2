"""The bar for webhooks: `gmail-tickets serve` posts deliveries to a real local receiver (a threaded HTTP server
that checks every signature), and is SIGKILLed while it posts. Events come from another process (this test,
writing ticket changes into the same SQLite file, as a second console would); the killed server's sweep-less
successor picks up what was owed. Every event arrives at least once, signed, and per ticket never before an
earlier one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.gmail_sim import GmailSimulator, SimServer
from gmail_tickets import bootstrap
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.adapters.sqlite_store import SqliteStore
from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.ticket_fields import Priority
from gmail_tickets.domain.ticket_lifecycle import FieldChanges
from gmail_tickets.domain.webhooks import DeliveryState
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.ticket_changes import update_ticket
from gmail_tickets.services.webhook_endpoints import add_endpoint
from tests.processes import gone
from tests.webhook_receiver import Receiver

TICKETS = 3
CHANGES_PER_TICKET = 8
CYCLE = (Priority.HIGH, Priority.LOW, Priority.URGENT, Priority.NORMAL)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(delay=0.15).start()
    yield r
    r.stop()


@pytest.fixture
def env(sim: GmailSimulator, sim_server: SimServer, tmp_path: Path) -> dict[str, str]:
    return {"GT_SQLITE_PATH": str(tmp_path / "gt.sqlite"), "GT_SECRETS_FILE": str(tmp_path / "secrets.json"),
            "GT_BLOBS_DIR": str(tmp_path / "blobs"), "GT_GMAIL_ROOT_URL": sim_server.url,
            "GT_WEBHOOK_ALLOW_PRIVATE": "true", "GT_OUTBOX_REPUBLISH_AFTER_SECONDS": "1",
            "GT_SEND_LEASE_SECONDS": "5"}


def _serve(env: dict[str, str]) -> subprocess.Popen[bytes]:
    cli = Path(sys.executable).with_name("gmail-tickets")
    return subprocess.Popen([str(cli), "serve", "--console-port", "0", "--sweep-interval", "1"],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def _change(deps: Deps, ticket_id: int, n: int) -> None:
    update_ticket(deps, ticket_id, FieldChanges(priority=CYCLE[n % len(CYCLE)]), actor="Ana", version=None)


def test_deliveries_survive_a_sigkill_of_the_sender_signed_at_least_once_in_order(
        env: dict[str, str], receiver: Receiver) -> None:
    deps = bootstrap.build(bootstrap.Config.from_env(env), publisher=LocalPublisher())  # never started: the
    endpoint = add_endpoint(deps, receiver.url, ("ticket.updated",), actor="admin")  # server's sweep publishes
    receiver.secret = endpoint.secret
    tickets = [deps.store.atomically(lambda uow, i=i: uow.add_ticket(
        Ticket(f"Question {i}", f"c{i}@customer.test", "help@acme.test"))) for i in range(TICKETS)]
    half = CHANGES_PER_TICKET // 2
    for n in range(half):
        for ticket_id in tickets:
            _change(deps, ticket_id, n)

    first = _serve(env)
    try:
        assert _wait(lambda: len(receiver.events()) >= 5, 30), "the server posted nothing"
        first.send_signal(signal.SIGKILL)  # mid-post: the receiver holds each post 0.15 s before answering
        assert gone(first.pid)
        first.wait(5)
        for n in range(half, CHANGES_PER_TICKET):  # more events while no sender runs
            for ticket_id in tickets:
                _change(deps, ticket_id, n)
        posted_before_restart = len(receiver.events())
        second = _serve(env)
        try:
            store = SqliteStore(env["GT_SQLITE_PATH"])
            owed = TICKETS * CHANGES_PER_TICKET
            assert _wait(lambda: len({r.event_id for r in receiver.events()}) >= owed
                         and not store.pending_webhook_deliveries(), 90), (
                f"{len({r.event_id for r in receiver.events()})} of {owed} events arrived")
        finally:
            second.terminate()
            second.wait(10)
    finally:
        if first.poll() is None:
            first.kill()

    got = receiver.events()
    assert all(r.signed for r in got)
    assert len({r.event_id for r in got}) == TICKETS * CHANGES_PER_TICKET
    assert posted_before_restart < TICKETS * CHANGES_PER_TICKET  # the kill left work for the successor
    for ticket_id in tickets:
        versions = [r.event["data"]["ticket"]["version"] for r in got
                    if r.event["data"]["ticket"]["id"] == ticket_id]
        # In order: never an earlier event after a later one; a repeat (at least once) only of the latest.
        assert versions == sorted(versions) and len(set(versions)) == CHANGES_PER_TICKET, versions
    log = store.webhook_deliveries(endpoint.id, limit=100)
    assert {d.state for d in log} == {DeliveryState.DELIVERED} and len(log) == TICKETS * CHANGES_PER_TICKET
    print(f"posts {len(got)}, events {len({r.event_id for r in got})}, repeats {len(got) - len(log)}")
