"""`gmail-tickets bench`: what ingestion costs and how fast it is, measured end to end.

The Gmail simulator runs in its own process (so this process's CPU and peak RSS are the product's), with a
realistic latency on every call and Google's per-user quota on. The product runs embedded — in-process
publisher, the chosen store (SQLite, or Firestore on Google's emulator) — and receives Gmail's push
notifications over HTTP, as a Pub/Sub push subscription would deliver them.

1. Burst: N mails land while push is held back; one notification starts ingestion; the clock runs until every
   mail is in the ledger. Gives mails/s, Gmail quota units and API calls per mail (the simulator's own
   counters), and store writes per new ticket.
2. Trickle: mails arrive at a steady rate with push on; delivery-to-ticket latency of each (the ledger entry's
   commit time minus the delivery time), p50 and p95.
3. Hostile: a 5 MB mail of nested HTML, then an ordinary mail right behind it (devstack/bench_hostile.py).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from devstack import emulators
from gmail_tickets import bootstrap, logs, secret_names
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.domain.model import Outcome
from gmail_tickets.embedded import EmbeddedRuntime
from gmail_tickets.ports import Store
from gmail_tickets.services.connect import connect_mailbox

ADDRESS = "support@example.com"
TARGETS = {"quota_units_per_mail_max": 6, "mails_per_s_min": 20, "p95_push_to_ticket_s_max": 2.0,
           "store_writes_per_ticket_max": 4}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class SimControl:
    """The simulator process, driven through its /sim/v1 control API."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def call(self, method: str, path: str, body: bytes | dict | None = None) -> Any:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        request = urllib.request.Request(self.url + "/sim/v1" + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None

    def deliver(self, raw: bytes) -> str:
        return self.call("POST", f"/mailboxes/{ADDRESS}/deliver", raw)["id"]

    def counters(self) -> dict[str, Any]:
        return self.call("GET", f"/counters?address={ADDRESS}")


@contextmanager
def simulator(latency_ms: float, push_url: str) -> Iterator[tuple[SimControl, dict[str, Any]]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.gmail_sim", "--mailbox", ADDRESS, "--latency-ms", str(latency_ms),
         "--push-url", push_url],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert process.stdout is not None
        started = json.loads(process.stdout.readline())
        yield SimControl(started["url"]), started
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def push_receiver(runtime_box: dict[str, EmbeddedRuntime]) -> Iterator[str]:
    """An HTTP endpoint taking Pub/Sub push bodies, handing each notification to the runtime."""

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            notification = json.loads(base64.b64decode(body["message"]["data"]))
            runtime = runtime_box.get("runtime")
            if runtime is not None:
                runtime.push(notification["emailAddress"], notification["historyId"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


class IngestOnlyRuntime(EmbeddedRuntime):
    """The embedded runtime with outbound mail held back: each new ticket still writes its acknowledgement (that
    is part of ingesting), but sending it would spend Gmail quota and store writes this bench attributes to
    ingestion. `bench send` measures sending."""

    def _send(self, data: bytes) -> None:
        pass


def make_store(kind: str, state: Path, stack: ExitStack) -> Store:
    if kind == "firestore":
        emulator = emulators.start_firestore()
        stack.callback(emulator.stop)
        os.environ["FIRESTORE_EMULATOR_HOST"] = emulator.host
        from gmail_tickets.adapters.firestore_store import FirestoreStore

        return FirestoreStore(project="bench-local")
    from gmail_tickets.adapters.sqlite_store import SqliteStore

    return SqliteStore(state / "bench.sqlite")


def mail(n: int) -> bytes:
    """Mail as a help desk gets it: 97 customers, each of their own company (one domain's 200 mails in seconds
    would be a burst the ingest rules hold back, and the figures would measure suspensions)."""
    return (
        f"From: Customer {n} <customer{n % 97}@shop{n % 97}.example>\r\nTo: {ADDRESS}\r\n"
        f"Subject: Request {n}: the export button does nothing\r\n"
        f"Message-ID: <bench-{n}-{time.time_ns()}@example.net>\r\n"
        f"Date: Sat, 28 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + "Hello, when I click export nothing happens. Steps: open report, click export, wait.\r\n" * 20
    ).encode()


def ingested(store: Store) -> int:
    return sum(store.ledger_counts(ADDRESS).values())


def wait_for(store: Store, total: int, timeout: float, label: str) -> None:
    deadline, last = time.monotonic() + timeout, -1
    while (done := ingested(store)) < total:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{label}: only {done} of {total} ingested")
        if done != last and (done - last >= total // 10 or done == total):
            log(f"  {label}: {done}/{total} ingested")
            last = done
        time.sleep(0.1)
    log(f"  {label}: {total}/{total} ingested")


def simulated(stack: ExitStack, latency_s: float, box: dict[str, EmbeddedRuntime], prefix: str
              ) -> tuple[Path, SimControl, dict[str, Any]]:
    """A temporary state directory, and the simulator in its own process pushing to the runtime put in `box`."""
    sim, started = stack.enter_context(simulator(latency_s * 1000, stack.enter_context(push_receiver(box))))
    return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix))), sim, started


@contextmanager
def embedded_product(args: argparse.Namespace) -> Iterator[tuple[SimControl, Store, EmbeddedRuntime]]:
    """The simulator in its own process pushing to the product, embedded with the chosen store, connected."""
    runtime_box: dict[str, EmbeddedRuntime] = {}
    with ExitStack() as stack:
        state, sim, started = simulated(stack, args.latency, runtime_box, "gmail-tickets-bench-")
        creds = started["mailboxes"][0]
        store = make_store(args.store, state, stack)
        config = bootstrap.Config(
            secrets_file=str(state / "secrets.json"), blobs_dir=str(state / "blobs"),
            gmail_root_url=started["url"], token_uri=started["token_uri"],
            oauth_client_id=creds["client_id"],
        )
        publisher = LocalPublisher(workers=2)
        deps = bootstrap.build(config, store=store, publisher=publisher)
        deps.secrets.put(secret_names.OAUTH_CLIENT_SECRET, creds["client_secret"])
        runtime = IngestOnlyRuntime(deps, publisher, sweep_interval=3600).start()
        stack.callback(runtime.stop)
        runtime_box["runtime"] = runtime
        connect_mailbox(deps, ADDRESS, creds["refresh_token"], watch=True)
        yield sim, store, runtime


def bench_ingest(args: argparse.Namespace) -> dict[str, Any]:
    from devstack.bench_hostile import measure_hostile

    logs.configure("WARNING")
    with embedded_product(args) as (sim, store, runtime):
        # 1. Burst
        log(f"burst: delivering {args.mails} mails ({args.store}, {args.latency * 1000:.0f} ms per Gmail call)")
        sim.call("PUT", "/push", {"drop_rate": 1.0})
        for n in range(args.mails):
            sim.deliver(mail(n))
            if (n + 1) % max(1, args.mails // 5) == 0:
                log(f"  delivered {n + 1}/{args.mails}")
        sim.call("PUT", "/push", {"drop_rate": 0.0})
        sim.call("DELETE", f"/counters?address={ADDRESS}")
        writes_before = store.write_count
        history_id = sim.call("GET", f"/mailboxes/{ADDRESS}")["historyId"]
        started_at = time.monotonic()
        runtime.push(ADDRESS, history_id)
        wait_for(store, args.mails, timeout=max(120, args.mails), label="burst")
        burst_seconds = time.monotonic() - started_at
        counters = sim.counters()
        outcomes = store.ledger_counts(ADDRESS)
        tickets = outcomes[Outcome.TICKET]
        burst = {
            "mails": args.mails,
            "seconds": round(burst_seconds, 2),
            "mails_per_s": round(args.mails / burst_seconds, 1),
            "quota_units_per_mail": round(counters["units"] / args.mails, 2),
            "api_calls_per_mail": round(counters["calls"] / args.mails, 3),
            "store_writes_per_ticket": round((store.write_count - writes_before) / tickets, 2),
            "tickets": tickets,
            "not_tickets": {str(o): n for o, n in outcomes.items() if o != Outcome.TICKET and n},
            "gmail_calls_by_method": counters.get("methods", {}),
        }

        # 2. Trickle
        count = int(args.trickle_rate * args.trickle_seconds)
        log(f"trickle: {count} mails at {args.trickle_rate}/s through push")
        delivered: list[tuple[str, datetime]] = []
        interval, next_at = 1.0 / args.trickle_rate, time.monotonic()
        for n in range(count):
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at += interval
            at = datetime.now(UTC)
            delivered.append((sim.deliver(mail(100_000 + n)), at))
        wait_for(store, args.mails + count, timeout=120, label="trickle")
        latencies = []
        for gmail_id, at in delivered:
            entry = store.atomically(lambda uow, i=gmail_id: uow.get_ledger(ADDRESS, i))
            latencies.append((entry.created_at - at).total_seconds())
        cuts = statistics.quantiles(latencies, n=20)
        trickle = {"mails": count, "rate_per_s": args.trickle_rate, "p50_s": round(statistics.median(latencies), 3),
                   "p95_s": round(cuts[18], 3), "max_s": round(max(latencies), 3)}

        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # of ordinary mail
        # 3. A hostile mail, then an ordinary one right behind it
        hostile = measure_hostile(sim, store)

    result = {"store": args.store, "latency_ms": args.latency * 1000, "burst": burst, "trickle": trickle,
              "hostile": hostile, "peak_rss_mb": round(peak_rss_mb, 1), "targets": TARGETS}
    result["met"] = {
        "quota_units_per_mail": burst["quota_units_per_mail"] <= TARGETS["quota_units_per_mail_max"],
        "mails_per_s": burst["mails_per_s"] >= TARGETS["mails_per_s_min"],
        "p95_push_to_ticket": trickle["p95_s"] <= TARGETS["p95_push_to_ticket_s_max"],
        "store_writes_per_ticket": burst["store_writes_per_ticket"] <= TARGETS["store_writes_per_ticket_max"],
        **hostile["met"],
    }
    return result


def main(args: argparse.Namespace) -> int:
    if args.target == "sim":
        from devstack.gmail_sim.bench import run_bench

        result = run_bench()
    elif args.target == "coldstart":
        from devstack.bench_coldstart import run

        result = run(args)
    elif args.target == "hostile":
        from devstack.bench_hostile import run as run_hostile

        result = run_hostile(args)
    elif args.target == "console":
        from devstack.bench_console import run as run_console

        result = run_console(args)
    elif args.target == "send":
        from devstack.bench_send import run as run_send

        result = run_send(args)
    elif args.target == "scale":
        from devstack import bench_scale, scale_report

        figures = bench_scale.run(args)
        print(json.dumps(bench_scale.report(figures)) if args.json else scale_report.table(figures))
        return 0
    else:
        result = bench_ingest(args)
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=2))
    return 0
