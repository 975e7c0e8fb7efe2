"""`gmail-tickets bench scale`: what N connected mailboxes cost when idle, and how many busy ones go at once.

The product runs as `serve` runs it (bootstrap.embedded_runtime: the in-process broker, syncing and sending pools)
with the chosen store (SQLite, or Firestore on Google's emulator), Secret Manager served locally
(devstack/secret_manager_server.py) and the Gmail simulator in its own process. N mailboxes are connected in bulk
(devstack/scale_connect.py). Sending is held back, as in `bench ingest`: it is `bench send`'s to measure.

1. Idle tick: one warm-up tick, then the measured one: the runtime's sweep call (`sweep_s`), then every message it
   published handled through the product's own handlers until the broker is empty (`tick_s`). Per mailbox: store
   reads, writes, transactions (devstack/scale_counters.py: billed units), Gmail quota units (the simulator's
   counters), publishes and Secret Manager accesses.
2. Active: M of the mailboxes get K mails each, delivered in turns while Gmail pushes and the sweep runs every
   minute; the clock runs until every mail is in the ledger.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from devstack import emulators
from devstack.bench import IngestOnlyRuntime, SimControl, log, simulated
from devstack.scale_connect import sim_mailboxes, store_connections, store_tokens
from devstack.scale_counters import CountingFirestoreClient, StoreCounts, Tally, count_sqlite
from devstack.scale_pubsub import PubSubBridge
from devstack.scale_report import ACTIVE_KEYS, IDLE_KEYS
from devstack.secret_manager_server import SecretManagerServer
from gmail_tickets import bootstrap, logs, secret_names
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.domain.model import Outcome
from gmail_tickets.embedded import EmbeddedRuntime
from gmail_tickets.ports import Store

PROJECT = "bench-scale"
SWEEP_EVERY_S = 60.0
DRAIN_TIMEOUT_S = 3600.0
POLL_S = 5.0  # between counts of the ledger: on the emulator each is a scan of it, load the product does not make


@dataclass
class Product:
    sim: SimControl
    runtime: EmbeddedRuntime
    broker: LocalPublisher
    store: Store
    tally: Tally
    secrets: SecretManagerServer
    mailboxes: list[dict[str, Any]]
    bridge: PubSubBridge | None  # --publisher pubsub: publishes go through Google's emulator

    @property
    def workers(self) -> int:
        return self.runtime.deps.settings.ingest_workers


@dataclass(frozen=True)
class Mark:
    """Every counter at one moment."""

    store: StoreCounts
    records: int  # the store's own write_count (records, as `bench ingest` reports them)
    gmail_units: int
    publishes: int
    secret_reads: int

    @staticmethod
    def take(p: Product) -> Mark:
        units = sum(c["units"] for c in p.sim.call("GET", "/counters").values())
        return Mark(p.tally.snapshot(), p.store.write_count, units, p.broker.published,
                    p.secrets.state.calls.get("AccessSecretVersion", 0))


def counted_store(kind: str, state: Path, stack: ExitStack, tally: Tally) -> Store:
    if kind == "firestore":
        emulator = emulators.start_firestore()
        stack.callback(emulator.stop)
        os.environ["FIRESTORE_EMULATOR_HOST"] = emulator.host
        from gmail_tickets.adapters.firestore_store import FirestoreStore

        return FirestoreStore(CountingFirestoreClient(PROJECT, tally))
    from gmail_tickets.adapters.sqlite_store import SqliteStore

    store = SqliteStore(state / "scale.sqlite")
    count_sqlite(store._db, tally)
    return store


@contextmanager
def product(args: argparse.Namespace) -> Iterator[Product]:
    runtime_box: dict[str, EmbeddedRuntime] = {}
    with ExitStack() as stack:
        state, sim, started = simulated(stack, args.latency, runtime_box, "gmail-tickets-bench-scale-")
        creds = started["mailboxes"][0]
        secrets = stack.enter_context(SecretManagerServer())
        os.environ["SECRET_MANAGER_EMULATOR_HOST"] = secrets.host
        tally = Tally()
        store = counted_store(args.store, state, stack, tally)
        config = bootstrap.Config(
            secrets="secretmanager", project=PROJECT, blobs_dir=str(state / "blobs"),
            gmail_root_url=started["url"], token_uri=started["token_uri"], oauth_client_id=creds["client_id"],
        )
        built = bootstrap.embedded_runtime(config, sweep_interval=DRAIN_TIMEOUT_S * 24, store=store)
        broker = built.subscriber
        assert isinstance(broker, LocalPublisher)
        deps, bridge = built.deps, None
        if args.publisher == "pubsub":
            log("starting the Pub/Sub emulator")
            bridge = PubSubBridge(PROJECT, deps.settings, broker)
            stack.callback(bridge.stop)
            deps = replace(deps, publisher=bridge.publisher)
        runtime = IngestOnlyRuntime(deps, broker, sweep_interval=built.sweep_interval,
                                    renew_watches=built.renew_watches)
        runtime.deps.secrets.put(secret_names.OAUTH_CLIENT_SECRET, creds["client_secret"])
        runtime.start()
        stack.callback(runtime.stop)
        runtime_box["runtime"] = runtime

        log(f"connecting {args.mailboxes} mailboxes in bulk ({args.store})")
        mailboxes = sim_mailboxes(sim.url, args.mailboxes, label=runtime.deps.settings.label_name,
                                  watch_topic=runtime.deps.settings.push_topic, progress=log)
        store_tokens(secrets, PROJECT, mailboxes)
        store_connections(runtime.deps, mailboxes, progress=log)
        yield Product(sim, runtime, broker, store, tally, secrets, mailboxes, bridge)


def tick(p: Product) -> tuple[float, float]:
    """One sweep as the runtime runs it, then everything it set off, handled: (sweep_s, tick_s)."""
    started = time.monotonic()
    p.runtime.sweep_now()
    sweep_s = time.monotonic() - started
    if p.bridge is not None:
        return sweep_s, p.bridge.settle(DRAIN_TIMEOUT_S) - started
    if not p.broker.drain(DRAIN_TIMEOUT_S):
        raise TimeoutError(f"the tick's messages were not all handled in {DRAIN_TIMEOUT_S:.0f} s")
    return sweep_s, time.monotonic() - started


def idle_tick(p: Product) -> dict[str, Any]:
    n = len(p.mailboxes)
    log(f"idle: warm-up tick over {n} mailboxes")
    warm_sweep, warm_tick = tick(p)
    log(f"  warm-up: sweep {warm_sweep:.2f} s, tick {warm_tick:.2f} s; measured tick")
    before = Mark.take(p)
    sweep_s, tick_s = tick(p)
    after = Mark.take(p)
    store = after.store - before.store
    log(f"  measured: sweep {sweep_s:.2f} s, tick {tick_s:.2f} s")
    return {
        "sweep_s": round(sweep_s, 3), "tick_s": round(tick_s, 3), "warmup_tick_s": round(warm_tick, 3),
        "reads": round(store.reads / n, 3), "writes": round(store.writes / n, 3),
        "deletes": round(store.deletes / n, 3), "transactions": round(store.transactions / n, 3),
        "gmail_units": round((after.gmail_units - before.gmail_units) / n, 3),
        "publishes": round((after.publishes - before.publishes) / n, 3),
        "secret_reads": round((after.secret_reads - before.secret_reads) / n, 3),
    }


def mail(mailbox: int, k: int, address: str) -> bytes:
    """Each from a customer of their own company (a burst from one domain would be held back as one)."""
    n = mailbox * 1000 + k
    return (
        f"From: Customer {n} <customer{n}@shop{n % 997}.example>\r\nTo: {address}\r\n"
        f"Subject: Request {n}: the invoice total is wrong\r\n"
        f"Message-ID: <scale-{n}-{time.time_ns()}@example.net>\r\n"
        f"Date: Sat, 28 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + "Hello, the total on invoice 4711 is higher than the sum of its lines. Please check.\r\n" * 10
    ).encode()


def ledgered(store: Store) -> int:
    return sum(store.ledger_counts().values())


def active_run(p: Product, mailboxes: int, per_mailbox: int, timeout: float) -> dict[str, Any]:
    active = p.mailboxes[:mailboxes]
    total = len(active) * per_mailbox
    already = ledgered(p.store)
    log(f"active: {len(active)} mailboxes x {per_mailbox} mails, delivered in turns with push on")
    before = Mark.take(p)
    stop = threading.Event()
    delivered: list[tuple[str, str]] = []

    def deliver() -> None:
        for k in range(per_mailbox):
            for i, mailbox in enumerate(active):
                address = mailbox["address"]
                gmail_id = p.sim.call("POST", f"/mailboxes/{address}/deliver", mail(i, k, address))["id"]
                delivered.append((address, gmail_id))

    def sweeper() -> None:  # the runtime's minute timer
        while not stop.wait(SWEEP_EVERY_S):
            p.runtime.sweep_now()

    started, started_wall = time.monotonic(), time.time()
    threads = [threading.Thread(target=deliver, daemon=True), threading.Thread(target=sweeper, daemon=True)]
    for thread in threads:
        thread.start()
    last = -1
    while (done := ledgered(p.store) - already) < total:
        if time.monotonic() - started > timeout:
            log(f"  gave up after {timeout:.0f} s with {done}/{total} mails in the ledger")
            break
        if done // max(1, total // 10) != last // max(1, total // 10):
            log(f"  {done}/{total} mails in the ledger ({time.monotonic() - started:.0f} s)")
        last = done
        time.sleep(POLL_S)
    seconds = time.monotonic() - started
    stop.set()
    threads[0].join()
    log(f"  {min(done, total)}/{total} in {seconds:.1f} s")
    after = Mark.take(p)
    entries = ledger_entries(p.store, list(delivered))
    return summary(entries, before, after, total, per_mailbox, seconds, started_wall)


def ledger_entries(store: Store, delivered: list[tuple[str, str]]) -> list[Any]:
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda d: store.atomically(lambda uow: uow.get_ledger(*d)), delivered))


def summary(entries: list[Any], before: Mark, after: Mark, total: int, per_mailbox: int, seconds: float,
            started_wall: float) -> dict[str, Any]:
    """Figures of the run. A run that timed out counts the mails that made it, and has no slowest mailbox."""
    done = [e for e in entries if e is not None]
    tickets = sum(1 for e in done if e.outcome == Outcome.TICKET)
    last_by_mailbox: dict[str, float] = {}
    per: dict[str, int] = {}
    for e in done:
        per[e.connection] = per.get(e.connection, 0) + 1
        if e.created_at is not None:
            at = e.created_at.timestamp() - started_wall
            last_by_mailbox[e.connection] = max(last_by_mailbox.get(e.connection, 0.0), at)
    store = after.store - before.store
    writes = store.writes
    mails = max(1, len(done))  # per mail that made it (a run that timed out has fewer than delivered)
    unfinished = total // max(1, per_mailbox) - sum(1 for n in per.values() if n >= per_mailbox)
    # The last mail's commit, not the poll that saw it, ends the run.
    last = max(last_by_mailbox.values(), default=seconds)
    return {
        "mails_per_s": round(len(done) / max(last if not unfinished else seconds, 1e-3), 2),
        "slowest_mailbox_s": None if unfinished else round(last, 2),
        "unfinished_mailboxes": unfinished,
        "gmail_units_per_mail": round((after.gmail_units - before.gmail_units) / mails, 2),
        "writes_per_ticket": round(writes / tickets, 2) if tickets else None,
        "mails": total, "ledgered": len(done), "tickets": tickets, "seconds": round(seconds, 2),
        "records_per_ticket": round((after.records - before.records) / tickets, 2) if tickets else None,
        "publishes_per_mail": round((after.publishes - before.publishes) / mails, 2),
        "reads_per_mail": round(store.reads / mails, 2),
        "round_trips_per_mail": round(store.round_trips / mails, 2),  # Firestore: calls to the server
        "commits_per_mail": round(store.transactions / mails, 2),
        "aborted_commits": store.aborted,
        "deletes_per_mail": round(store.deletes / mails, 2),
        "secret_reads_per_mail": round((after.secret_reads - before.secret_reads) / mails, 3),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every figure; `report` picks the JSON's keys from them and `table` renders them for a reader."""
    logs.configure("WARNING")
    with product(args) as p:
        idle = idle_tick(p)
        active = None
        if args.active_mailboxes > 0 and args.mails_per_mailbox > 0:
            active = active_run(p, min(args.active_mailboxes, args.mailboxes), args.mails_per_mailbox,
                                args.active_timeout)
    return {"store": args.store, "publisher": args.publisher, "mailboxes": args.mailboxes, "workers": p.workers,
            "latency_ms": args.latency * 1000, "idle": idle, "active": active}


def report(figures: dict[str, Any]) -> dict[str, Any]:
    """Exactly the keys issue 18 names."""
    return {"sweep_s": figures["idle"]["sweep_s"],
            "idle_tick": {k: figures["idle"][k] for k in IDLE_KEYS},
            "active": {k: (figures["active"] or {}).get(k) for k in ACTIVE_KEYS}}
