"""`gmail-tickets bench scale`: what N connected mailboxes cost when idle, and how many busy ones go at once.

The product and its counters: devstack/scale_product.py. N mailboxes are connected in bulk
(devstack/scale_connect.py). `--sweep-only` measures the sweep alone (devstack/scale_sweep.py).

1. Idle tick: one warm-up tick, then the measured one: the runtime's sweep call (`sweep_s`), then every message it
   published handled through the product's own handlers until the broker is empty (`tick_s`). Per mailbox: store
   reads, writes, transactions (devstack/scale_counters.py: billed units), Gmail quota units (the simulator's
   counters), publishes and Secret Manager accesses.
2. Active: M of the mailboxes get K mails each, delivered in turns while Gmail pushes and the sweep runs every
   minute; the clock runs until every mail is in the ledger.
"""

from __future__ import annotations

import argparse
import resource
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from devstack.bench import log
from devstack.scale_deliver import Deliverer
from devstack.scale_figures import Mark, summary
from devstack.scale_product import Product, product
from gmail_tickets import logs
from gmail_tickets.adapters.gmail_labels import modify_units
from gmail_tickets.ports import Store

SWEEP_EVERY_S = 60.0
DRAIN_TIMEOUT_S = 3600.0
POLL_S = 5.0  # between counts of the ledger: on the emulator each is a scan of it, load the product does not make


def tick(p: Product) -> tuple[float, float, float]:
    """One sweep as the runtime runs it, then everything it set off, handled: (sweep_s, tick_s, and the CPU
    seconds of the sweep call itself, which runs on this thread)."""
    started, cpu = time.monotonic(), time.thread_time()
    p.runtime.sweep_now()
    sweep_s, sweep_cpu = time.monotonic() - started, time.thread_time() - cpu
    if p.bridge is not None:
        return sweep_s, p.bridge.settle(DRAIN_TIMEOUT_S) - started, sweep_cpu
    if not p.broker.drain(DRAIN_TIMEOUT_S):
        raise TimeoutError(f"the tick's messages were not all handled in {DRAIN_TIMEOUT_S:.0f} s")
    return sweep_s, time.monotonic() - started, sweep_cpu


def idle_tick(p: Product) -> dict[str, Any]:
    n = len(p.mailboxes)
    log(f"idle: warm-up tick over {n} mailboxes")
    warm_sweep, warm_tick, _ = tick(p)
    log(f"  warm-up: sweep {warm_sweep:.2f} s, tick {warm_tick:.2f} s; measured tick")
    before, cpu = Mark.take(p), cpu_seconds()
    sweep_s, tick_s, sweep_cpu = tick(p)
    cpu, after = cpu_seconds() - cpu, Mark.take(p)
    store = after.store - before.store
    log(f"  measured: sweep {sweep_s:.2f} s, tick {tick_s:.2f} s, CPU {cpu:.2f} s")
    return {
        "sweep_s": round(sweep_s, 3), "tick_s": round(tick_s, 3), "warmup_tick_s": round(warm_tick, 3),
        "cpu_s": round(cpu, 3), "sweep_cpu_s": round(sweep_cpu, 3), "wait_s": gmail_wait_s(p, n),
        "reads": round(store.reads / n, 3), "writes": round(store.writes / n, 3),
        "deletes": round(store.deletes / n, 3), "transactions": round(store.transactions / n, 3),
        "gmail_units": round((after.gmail_units - before.gmail_units) / n, 3),
        "publishes": round((after.publishes - before.publishes) / n, 3),
        "secret_reads": round((after.secret_reads - before.secret_reads) / n, 3),
    }


def cpu_seconds() -> float:
    """CPU seconds of this process (the product and its broker; the simulator and emulators run apart)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def gmail_wait_s(p: Product, mailboxes: int) -> float:
    """Per mailbox, the Gmail waits of its shard's check that its threads cannot overlap: ceil(shard size ÷
    check threads) rounds of one history.list each, at the simulator's latency (scale_cost.py's model)."""
    settings = p.runtime.deps.settings
    shard = max(1, min(settings.sweep_shard_size, mailboxes))
    rounds = -(-shard // max(1, min(settings.sweep_check_workers, shard)))
    return round(rounds * p.latency_s / shard, 5)


def ledgered(store: Store) -> int:
    return sum(store.ledger_counts().values())


def active_run(p: Product, mailboxes: int, per_mailbox: int, timeout: float) -> dict[str, Any]:
    active = p.mailboxes[:mailboxes]
    total = len(active) * per_mailbox
    already = ledgered(p.store)
    log(f"active: {len(active)} mailboxes x {per_mailbox} mails, delivered in turns with push on")
    before = Mark.take(p)
    stop = threading.Event()

    def sweeper() -> None:  # the runtime's minute timer
        while not stop.wait(SWEEP_EVERY_S):
            p.runtime.sweep_now()

    started, started_wall = time.monotonic(), time.time()
    # The mail comes from outside the product's process, as it does in production.
    deliverer = Deliverer(p.sim.url, per_mailbox, [m["address"] for m in active])
    threading.Thread(target=sweeper, daemon=True).start()
    last = -1
    while (done := ledgered(p.store) - already) < total:
        if deliverer.error is not None:
            log(f"  the deliverer failed ({deliverer.error}) after {len(deliverer.delivered)} mails")
            break
        if time.monotonic() - started > timeout:
            log(f"  gave up after {timeout:.0f} s with {done}/{total} mails in the ledger")
            break
        if done // max(1, total // 10) != last // max(1, total // 10):
            log(f"  {done}/{total} mails in the ledger ({time.monotonic() - started:.0f} s)")
        last = done
        time.sleep(POLL_S)
    seconds = time.monotonic() - started
    stop.set()
    deliverer.close()
    log(f"  {min(done, total)}/{total} in {seconds:.1f} s")
    after = Mark.take(p)
    entries = ledger_entries(p.store, list(deliverer.delivered))
    figures = summary(entries, before, after, total, per_mailbox, seconds, started_wall)
    return {**figures, **owed_labels(p.store, [m["address"] for m in active], max(1, figures["ledgered"])),
            "delivered_s": deliverer.seconds, "deliverer_error": deliverer.error}


def owed_labels(store: Store, addresses: list[str], mails: int) -> dict[str, float]:
    """The courtesy labels still owed when the run ends (services/owed_labels.py: put on once GT_LABEL_BATCH are owed or
    the oldest waited GT_LABEL_DELAY_SECONDS), and what putting them all on at once would cost: Gmail units the run's
    own figure leaves out."""
    owed = [len(c.labels_owed) for c in map(store.get_connection, addresses) if c is not None]
    return {"labels_owed_per_mail": round(sum(owed) / mails, 3),
            "owed_label_units_per_mail": round(sum(modify_units(n) for n in owed) / mails, 2)}


def ledger_entries(store: Store, delivered: list[tuple[str, str]]) -> list[Any]:
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda d: store.atomically(lambda uow: uow.get_ledger(*d)), delivered))



def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every figure; `report` picks the JSON's keys from them and `table` renders them for a reader."""
    logs.configure("WARNING")
    if getattr(args, "sweep_only", False):
        from devstack.scale_sweep import sweep_only

        return sweep_only(args)
    with product(args) as p:
        log(f"connecting {args.mailboxes} mailboxes in bulk ({args.store})")
        p.connect_bulk(args.mailboxes)
        idle = idle_tick(p)
        active = None
        if args.active_mailboxes > 0 and args.mails_per_mailbox > 0:
            active = active_run(p, min(args.active_mailboxes, args.mailboxes), args.mails_per_mailbox,
                                args.active_timeout)
    return {"store": args.store, "publisher": args.publisher, "mailboxes": args.mailboxes, "workers": p.workers,
            "latency_ms": args.latency * 1000, "idle": idle, "active": active}

