"""`gmail-tickets bench scale --sweep-only`: the sweep alone over N connected mailboxes, and what connecting one
more mailbox costs the store at 10 and at N.

The sweep is the runtime's sweep call (services/sweep.py): page the connections, publish a shard per
`sweep_shard_size` active mailboxes. Its messages are published (to Google's Pub/Sub emulator with
`--publisher pubsub`, each publish through the product's `PubSubPublisher`, as in the cloud) and never handled:
no shard is checked, no mailbox synced, so `sweep_s` is listing and publishing only. One warm-up sweep (the
emulators' first query after the bulk writes is slower), then `RUNS` timed ones; `sweep_s` is their median.

The connect cost: the 10th and the Nth mailbox are connected through the product's own path
(services/connect.py, `connect_mailbox` with its import), the others in bulk; the store's billed reads and writes
of each (devstack/scale_counters.py) should not grow with N.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from devstack.bench import log
from devstack.scale_product import Product, product
from gmail_tickets.services.sweep import sweep

RUNS = 3
EARLY = 10  # the early connect measured: "the 10th costs no more than the Nth"


def timed_sweep(p: Product) -> dict[str, Any]:
    before_store = p.tally.snapshot()
    started = time.monotonic()
    result = sweep(p.runtime.deps)
    seconds = time.monotonic() - started
    store = p.tally.snapshot() - before_store
    return {"seconds": round(seconds, 3), "shards": result.shards, "mailboxes": len(result.requested),
            "finished": result.finished, "errors": result.errors, "reads": store.reads, "writes": store.writes}


def sweep_only(args: argparse.Namespace) -> dict[str, Any]:
    with product(args, handle_published=False) as p:
        n = max(1, args.mailboxes)
        early = min(EARLY, n)
        log(f"connecting {early - 1} mailboxes in bulk ({args.store}), the {early}th through the product")
        p.connect_bulk(early - 1)
        at_early = p.connect_one()
        at_n = at_early
        if n > early:
            log(f"connecting {n - early - 1} more in bulk, the {n}th through the product")
            p.connect_bulk(n - early - 1)
            at_n = p.connect_one()
        log(f"  connect cost: {at_early} at {early}, {at_n} at {n}")
        log(f"sweep over {n} mailboxes ({args.publisher} publisher, nothing handled): warm-up")
        warm = timed_sweep(p)
        runs = []
        for _ in range(RUNS):
            runs.append(timed_sweep(p))
            log(f"  sweep {runs[-1]['seconds']:.2f} s, {runs[-1]['shards']} shards")
    last = runs[-1]
    figures = {
        "sweep_s": round(statistics.median(r["seconds"] for r in runs), 3),
        "sweep_runs_s": [r["seconds"] for r in runs], "warmup_sweep_s": warm["seconds"],
        "mailboxes_swept": last["mailboxes"], "shards": last["shards"], "finished": last["finished"],
        "errors": last["errors"], "store_reads": last["reads"], "store_writes": last["writes"],
        "connect_cost": {"at_10": at_early, "at_n": at_n},
    }
    return {"store": args.store, "publisher": args.publisher, "mailboxes": n, "latency_ms": args.latency * 1000,
            "sweep": figures}


def sweep_table(figures: dict[str, Any]) -> str:
    s = figures["sweep"]
    cost = s["connect_cost"]
    keys = ("reads", "writes", "transactions", "gmail_units")
    return "\n".join([
        f"bench scale --sweep-only: {figures['mailboxes']} mailboxes, {figures['store']}, "
        f"{figures['publisher']} publisher",
        "",
        f"  sweep call (median of {len(s['sweep_runs_s'])})  {s['sweep_s']:>8.3f} s   "
        f"(runs {', '.join(f'{t:.3f}' for t in s['sweep_runs_s'])}; warm-up {s['warmup_sweep_s']:.3f} s)",
        f"  mailboxes swept       {s['mailboxes_swept']:>10}   in {s['shards']} shards (a publish each), "
        f"finished: {s['finished']}",
        f"  store reads / writes  {s['store_reads']:>10} / {s['store_writes']}",
        "",
        "one connect through services/connect.py (store billed units, Gmail quota units)",
        f"  {'':<22}" + "".join(f"{k:>14}" for k in keys),
        *(f"  {label + ' (mailbox ' + str(c['mailbox']) + ')':<22}" + "".join(f"{c[k]:>14}" for k in keys)
          for label, c in (("at 10", cost["at_10"]), ("at N", cost["at_n"]))),
    ])
