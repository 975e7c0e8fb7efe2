"""The product as `gmail-tickets bench scale` runs it, and the counters read around each piece of work.

The product runs as `serve` runs it (bootstrap.embedded_runtime: the in-process broker, syncing and sending pools)
with the chosen store (SQLite, or Firestore on Google's emulator), Secret Manager served locally
(devstack/secret_manager_server.py) and the Gmail simulator in its own process. Sending is held back, as in
`bench ingest`: it is `bench send`'s to measure. Mailboxes are connected in bulk (devstack/scale_connect.py), or
one at a time through the product's own connect path where that is what is measured.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from devstack import emulators
from devstack.bench import SimControl, log, pushing_simulator
from devstack.scale_connect import sim_mailboxes, store_connections, store_tokens
from devstack.scale_counters import CountingFirestoreClient, Tally, count_sqlite
from devstack.scale_figures import CountingRuntime, Mark
from devstack.scale_pubsub import PubSubBridge
from devstack.secret_manager_server import SecretManagerServer
from gmail_tickets import bootstrap, secret_names
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.embedded import EmbeddedRuntime
from gmail_tickets.ports import Store
from gmail_tickets.services.connect import connect_mailbox
from gmail_tickets.services.connect_import import wait_for_import
from gmail_tickets.settings import Settings

PROJECT = "bench-scale"


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
    latency_s: float = 0.0  # the simulator's per call

    @property
    def workers(self) -> int:
        return self.runtime.deps.settings.ingest_workers

    def connect_bulk(self, count: int) -> None:
        """`count` more mailboxes, numbered on from those connected, the bench's bulk way."""
        settings = self.runtime.deps.settings
        made = sim_mailboxes(self.sim.url, count, label=settings.label_name, watch_topic=settings.push_topic,
                             progress=log, start=len(self.mailboxes))
        store_tokens(self.secrets, PROJECT, made)
        store_connections(self.runtime.deps, made, progress=log, first=not self.mailboxes)
        self.mailboxes += made

    def connect_one(self) -> dict[str, Any]:
        """One more mailbox through the product's own connect path (services/connect.py, its import included):
        what it cost the store."""
        settings = self.runtime.deps.settings
        [made] = sim_mailboxes(self.sim.url, 1, label=settings.label_name, watch_topic=settings.push_topic,
                               progress=lambda _: None, start=len(self.mailboxes))
        before = Mark.take(self)
        connect_mailbox(self.runtime.deps, made["address"], made["refresh_token"])
        if not wait_for_import(self.runtime.deps, made["address"], timeout=120):
            raise TimeoutError(f"the import of {made['address']} did not finish")
        after = Mark.take(self)
        self.mailboxes.append(made)
        store = after.store - before.store
        return {"mailbox": len(self.mailboxes), "reads": store.reads, "writes": store.writes,
                "transactions": store.transactions, "gmail_units": after.gmail_units - before.gmail_units}


def counted_store(kind: str, state: Path, stack: ExitStack, tally: Tally) -> Store:
    if kind == "firestore":
        emulator = emulators.start_firestore()
        stack.callback(emulator.stop)
        os.environ["FIRESTORE_EMULATOR_HOST"] = emulator.host
        from gmail_tickets.adapters.firestore_store import FirestoreStore

        # The id block the product reserves (bootstrap.build_store), not the class's default of 20.
        return FirestoreStore(CountingFirestoreClient(PROJECT, tally), id_block=Settings().ticket_id_block)
    from gmail_tickets.adapters.sqlite_store import SqliteStore

    store = SqliteStore(state / "scale.sqlite")
    count_sqlite(store._db, tally)
    return store


@contextmanager
def product(args: argparse.Namespace, *, handle_published: bool = True) -> Iterator[Product]:
    """The running product with no mailbox connected yet. `handle_published` False: what the product publishes
    is sent (to Pub/Sub, or into a broker nobody works) and never handled, for measuring the sweep alone."""
    runtime_box: dict[str, EmbeddedRuntime] = {}
    with ExitStack() as stack:
        state, sim, started = pushing_simulator(stack, args.latency, runtime_box, "gmail-tickets-bench-scale-")
        creds = started["mailboxes"][0]
        secrets = stack.enter_context(SecretManagerServer())
        os.environ["SECRET_MANAGER_EMULATOR_HOST"] = secrets.host
        tally = Tally()
        store = counted_store(args.store, state, stack, tally)
        config = bootstrap.Config(
            secrets="secretmanager", project=PROJECT, blobs_dir=str(state / "blobs"),
            gmail_root_url=started["url"], token_uri=started["token_uri"], oauth_client_id=creds["client_id"],
        )
        built = bootstrap.embedded_runtime(config, sweep_interval=86400.0, store=store)
        broker = built.subscriber
        assert isinstance(broker, LocalPublisher)
        deps, bridge = built.deps, None
        if args.publisher == "pubsub":
            log("starting the Pub/Sub emulator")
            bridge = PubSubBridge(PROJECT, deps.settings, broker, subscribe=handle_published)
            stack.callback(bridge.stop)
            deps = replace(deps, publisher=bridge.publisher)
        elif not handle_published:
            broker = LocalPublisher()  # never started: it counts what is published and hands nothing on
            deps = replace(deps, publisher=broker)
        runtime = CountingRuntime(deps, built.subscriber, sweep_interval=built.sweep_interval,
                                    renew_watches=built.renew_watches)
        runtime.deps.secrets.put(secret_names.OAUTH_CLIENT_SECRET, creds["client_secret"])
        runtime.start()
        stack.callback(runtime.stop)
        runtime_box["runtime"] = runtime
        yield Product(sim, runtime, broker, store, tally, secrets, [], bridge, args.latency)
