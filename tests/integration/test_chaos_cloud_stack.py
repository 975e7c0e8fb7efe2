"""The chaos soak's cloud flavour on its own: emulators, functions-framework instances behind round-robin proxies,
a SIGKILLed ingest instance and a restarted Pub/Sub emulator, and still every mail a ticket once and every
acknowledgement sent once (counted in the simulator's SENT folders, its ground truth)."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devstack.chaos.cloud_stack import CloudStack
from devstack.chaos.stack import World
from devstack.gmail_sim import GmailSimulator, SimConfig, SimServer
from devstack.relay_server import RelayServer
from gmail_tickets import bootstrap
from gmail_tickets.ports import Store
from tests.fixtures.sim import make_mail

MAILBOXES = ("support@example.com", "help@example.net")
NAMES = ["ingest-1", "ingest-2", "send-1", "send-2", "sweep", "sweep_shard"]
pytestmark = [pytest.mark.slow, pytest.mark.firestore, pytest.mark.pubsub, pytest.mark.gcs]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    sim = GmailSimulator(SimConfig())
    credentials = {address: sim.add_mailbox(address, "workspace") for address in MAILBOXES}
    server = SimServer(sim, host="127.0.0.1", port=0).start()
    clock_file = tmp_path / "clock-offset"
    clock_file.write_text("0")
    first = credentials[MAILBOXES[0]]
    with RelayServer(tmp_path / "relay") as relay:
        yield World(state_dir=tmp_path / "state", sim=sim, sim_url=server.url, client_id=first.client_id,
                    client_secret=first.client_secret, relay=relay, clock_file=clock_file, mailboxes=MAILBOXES,
                    refresh_tokens={a: c.refresh_token for a, c in credentials.items()})
    server.stop()
    sim.close()


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def _deliver(world: World, batch: str) -> dict[str, str]:
    """One mail per mailbox, each from its own customer; returns subject → customer address."""
    sent: dict[str, str] = {}
    for n, address in enumerate(world.mailboxes):
        customer = f"c-{batch}-{n}@customer-{n}.test"
        subject = f"Order {batch}-{n} is late"
        world.sim.deliver(address, make_mail(subject=subject, sender=f"Customer <{customer}>", to=address))
        sent[subject] = customer
    return sent


def _ticket_subjects(store: Store) -> Counter[str]:
    return Counter(t.subject for address in MAILBOXES for t in store.list_tickets(limit=500, connection=address))


def _acks_to(world: World) -> Counter[str]:
    """Recipients of what the mailboxes sent through Gmail, plus what the relay delivered."""
    gmail = Counter(m["to"] for address in MAILBOXES for m in world.sim.messages(address, "in:sent"))
    relayed = Counter(r for delivery in world.relay.deliveries() for r in delivery.recipients)
    return gmail + relayed


def test_mail_becomes_tickets_once_through_a_killed_ingest_and_a_restarted_broker(world: World) -> None:
    # The soak's own timings, so recovery fits in the test: an instance killed while it holds a mailbox's sync
    # lease stalls that mailbox for 5 s (not 120), and an acknowledgement whose event died with the broker is
    # published again by a sweep after 5 s (not 60).
    quick = {"GT_LEASE_SECONDS": "5", "GT_OUTBOX_REPUBLISH_AFTER_SECONDS": "5"}
    stack = CloudStack(sweep_interval=2.0, settings_env=quick)
    try:
        env = stack.start(world)
        ports = stack.ports()
        assert sorted(stack.killable()) == NAMES
        store = bootstrap.build(bootstrap.Config.from_env(env)).store

        expected = _deliver(world, "a") | _deliver(world, "b")
        assert _wait(lambda: set(_ticket_subjects(store)) == set(expected), 30), _ticket_subjects(store)
        assert _wait(lambda: set(_acks_to(world)) == set(expected.values()), 30), _acks_to(world)

        # A restart with nothing in flight: what is lost with the emulator is the soak's to count; here, that
        # topics and push subscriptions are back and the product's clients find the new emulator.
        assert stack.restart_broker()
        expected |= _deliver(world, "c")
        stack.sweep_now()
        assert _wait(lambda: set(_ticket_subjects(store)) == set(expected), 30), _ticket_subjects(store)
        assert _wait(lambda: set(_acks_to(world)) == set(expected.values()), 30), _acks_to(world)

        expected |= _deliver(world, "d")
        kill = stack.kill("ingest-1")  # while batch d is on its way
        assert kill.process == "ingest-1" and "ingest-1" not in stack.killable()
        expected |= _deliver(world, "e")
        # Usually seconds; but killed inside a Firestore transaction, the instance leaves its locks behind, and
        # the emulator frees them only about 60 s later: every transaction that needs them waits until then.
        recovered = kill.at + 100 - time.monotonic()
        assert _wait(lambda: set(_ticket_subjects(store)) == set(expected), recovered), _ticket_subjects(store)
        assert _wait(lambda: set(_acks_to(world)) == set(expected.values()), 30), _acks_to(world)
        assert _wait(lambda: "ingest-1" in stack.killable(), 15)  # a new instance took its place
        time.sleep(2 * 2.0)  # two more scheduled sweeps: nothing they do may add a ticket or an acknowledgement
        assert _ticket_subjects(store) == Counter(expected.keys())
        assert _acks_to(world) == Counter(expected.values())
        assert stack.dead_letters() == 0
    finally:
        stack.stop()
        stack.stop()  # idempotent
    assert stack.killable() == []
    assert _processes_on(ports) == []  # no orphan: not a gunicorn worker, not a JVM
    assert {p.name for p in world.state_dir.glob("*.log")} >= {f"{name}.log" for name in [*NAMES, "pubsub"]}
    assert "Server started" in (world.state_dir / "pubsub.log").read_text()  # each process writes to its own


def test_a_dead_instances_sync_lease_stalls_its_mailbox_one_lease_and_one_redelivery(world: World) -> None:
    """The cloud side of the busy watcher (services/ingest.py): a SIGKILLed instance's sync lease (written as it
    left it: taken, never renewed, never released) holds the mailbox; the push for the next mail finds it busy.
    That event must come back by Pub/Sub's redelivery (production's backoff, 10 s, about the 10 s lease) and
    take over; no sweep runs in this test and no more mail comes, so an event acknowledged as busy would leave
    the mail waiting for the next sweep (a minute in production)."""
    stack = CloudStack(ingest_instances=1, send_instances=1, sweep_interval=3600.0)
    try:
        env = stack.start(world)
        deps = bootstrap.build(bootstrap.Config.from_env(env))
        lease = deps.settings.lease_seconds
        assert lease == 10
        address = MAILBOXES[0]
        assert deps.store.try_lease(f"sync:{address}", "killed-instance/1", datetime.now(UTC), lease)
        taken = time.monotonic()
        subject = "Order dead-lease is late"
        world.sim.deliver(address, make_mail(subject=subject, sender="Customer <c-dead@customer.test>", to=address))

        # The lease, then the watching event's redelivery: production's first backoff is 10 s; the emulator sends
        # it back after ~1 s (still busy: it watches on, known by its message id) and next ~16 s later; plus a
        # loaded machine's slack. Acknowledged as busy instead, the event never comes back here.
        bound = lease + 17 + 13
        assert _wait(lambda: subject in _ticket_subjects(deps.store), bound - (time.monotonic() - taken)), (
            "the mailbox stayed stalled past one lease and one redelivery")
        recovered = time.monotonic() - taken
        assert recovered >= lease - 1  # the dead holder's lease really held it (the busy path was taken)
        time.sleep(2.0)
        assert _ticket_subjects(deps.store)[subject] == 1
        assert stack.dead_letters() == 0
    finally:
        stack.stop()


def _processes_on(ports: list[int]) -> list[str]:
    """Command lines of live processes started with one of these ports (--port N, --port=N)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        for port in ports:
            if f"--port={port}" in args or any(a == "--port" and b == str(port) for a, b in itertools.pairwise(args)):
                found.append(" ".join(args))
    return found
