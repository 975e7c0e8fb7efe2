"""`gmail-tickets bench chaos`: run a flavour of the product under the fault schedule, let it settle, count.

1. The world: the Gmail simulator and its HTTP server, the relay and the shared clock, three mailboxes granted.
2. The flavour starts its processes and connects the mailboxes; the harness builds its own Deps on the product's
   store (from the environment the flavour returns), to read what the product recorded.
3. For `seconds`: N mails delivered evenly while the fault schedule runs; a progress line every few seconds.
4. Settle: sweeps go on until every delivered mail is recorded and no acknowledgement is still on its way, or the
   settle timeout.
5. Ground truth (truth.py) and the bar (report.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devstack.chaos import truth
from devstack.chaos.faults import FaultRunner
from devstack.chaos.mails import MailFeed
from devstack.chaos.report import bar, text
from devstack.chaos.schedule import make_schedule
from devstack.chaos.stack import ProductStack, World
from devstack.chaos.stall import StallMonitor
from devstack.chaos.world import open_world
from gmail_tickets import bootstrap, logs
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.services.deps import Deps

PROGRESS_EVERY_S = 5.0
SETTLE_POLL_S = 1.0
# The mail rate a flavour is run at, at most (mails a second). The cloud flavour runs seven processes and three
# emulators (JVMs) on the soak's machine: on 2 CPUs it carried about 2 to 3 mails/s, so a faster feed would only
# measure the machine's queue, not the product's recovery. Asking for more mails than rate times seconds runs
# fewer; the report says so. None: no cap.
MAX_MAIL_RATE = {"embedded": None, "cloud": 2.5}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def make_stack(flavour: str) -> ProductStack:
    if flavour == "embedded":
        from devstack.chaos.embedded_stack import EmbeddedProcessStack

        return EmbeddedProcessStack()
    from devstack.chaos.cloud_stack import CloudStack

    return CloudStack()


def capped_mails(flavour: str, mails: int, seconds: float) -> int:
    """`mails`, or as many as the flavour's MAX_MAIL_RATE allows in `seconds` (at least one)."""
    rate = MAX_MAIL_RATE.get(flavour)
    return mails if rate is None else max(1, min(mails, int(rate * seconds)))


def reader_deps(env: dict[str, str]) -> Deps:
    """Deps on the product's store, to read its records; anything non-GT_ the flavour returned (an emulator's
    host) is what the store's client needs in this process."""
    os.environ.update({k: v for k, v in env.items() if not k.startswith("GT_")})
    return bootstrap.build(bootstrap.Config.from_env(env), publisher=LocalPublisher())


def run(args: argparse.Namespace) -> dict[str, Any]:
    logs.configure("ERROR")
    with ExitStack() as stack:
        keep = getattr(args, "keep_state", None)
        state = (Path(keep) if keep else
                 Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gmail-tickets-chaos-"))))
        product = make_stack(args.flavour)
        world, clock = open_world(state, stack, seed=args.seed)
        stack.callback(product.stop)
        log(f"chaos: starting the {product.flavour} flavour on {len(world.mailboxes)} mailboxes")
        deps = reader_deps(product.start(world))
        events = make_schedule(args.seconds, args.seed)
        mails = capped_mails(product.flavour, args.mails, args.seconds)
        if mails < args.mails:
            log(f"chaos: {args.mails} mails asked for; the {product.flavour} flavour runs at most "
                f"{MAX_MAIL_RATE[product.flavour]} mails/s, so {mails}")
        feed = MailFeed(world.sim, world.mailboxes, mails, args.seconds, seed=args.seed)
        monitor = StallMonitor(lambda: truth.recorded_per_mailbox(deps, world.mailboxes), lambda: delivered(feed))
        faults = FaultRunner(world, clock, product, events, on_kill=monitor.on_kill, log=lambda m: log("  " + m))
        log(f"chaos: {mails} mails over {args.seconds:.0f} s ({mails / args.seconds:.1f} mails/s) with "
            f"{len(events)} faults")
        started = time.monotonic()
        monitor.start()
        stack.callback(monitor.stop)
        feed.start()
        faults.start()
        stack.callback(faults.stop)
        stack.callback(feed.stop)
        with Progress(feed, monitor, faults, started, mails):
            feed.join()
            faults.join()
            ended = time.monotonic()
            log(f"chaos: faults and mail done after {ended - started:.0f} s; settling")
            settle_s = settle(deps, feed, world, args.settle_timeout, ended)
        monitor.stop()
        log("chaos: counting against ground truth")
        mail = truth.read_mail(deps, [(d.mailbox, d.gmail_id) for d in feed.snapshot()])
        acks = truth.read_acks(deps, world)
        result: dict[str, Any] = {
            "flavour": product.flavour, "seed": args.seed, "seconds": args.seconds, "mailboxes": list(world.mailboxes),
            "mail_rate": {"per_s": round(mails / args.seconds, 2), "asked_mails": args.mails,
                          "cap_per_s": MAX_MAIL_RATE.get(product.flavour)},
            "mail": mail.to_json(), "acks": acks.to_json(),
            "faults": {"injected": dict(faults.injected), "not_applicable": dict(faults.not_applicable),
                       "errors": faults.errors, "kills": [k.process for k in faults.kills],
                       "schedule": [e.to_json() for e in events]},
            "run_s": round(ended - started, 1),
            "settle_s": None if settle_s is None else round(settle_s, 1),
            "longest_stall_s": round(monitor.tracker.longest(time.monotonic()), 1),
            "stalls": {"measured": len(monitor.tracker.stalls), "unresolved": monitor.tracker.unresolved(),
                       "longest_without_clock_jump_s": round(
                           monitor.tracker.longest_without(clock.jumps, time.monotonic()), 1),
                       "seconds": sorted((round(st.seconds, 1) for st in monitor.tracker.stalls
                                          if st.seconds is not None), reverse=True),
                       "longest": stall_details(monitor, started)},
            "clock_advanced_s": clock.offset,
        }
        result["bar"] = bar(result)
        return result


def stall_details(monitor: StallMonitor, started: float, count: int = 8) -> list[dict[str, Any]]:
    """The longest stalls with what a post-mortem needs to find them in the kept logs: which kill, which
    mailbox, when (seconds into the run, and the wall-clock time the product's log lines carry)."""
    now_mono, now_wall = time.monotonic(), time.time()
    stalls = sorted(monitor.tracker.stalls, key=lambda st: -(st.seconds if st.seconds is not None
                                                             else now_mono - st.killed_at))
    def wall(at: float) -> str:
        return datetime.fromtimestamp(now_wall - (now_mono - at), UTC).strftime("%H:%M:%S.%f")[:-3]

    return [{"process": st.process, "mailbox": st.mailbox, "at_s": round(st.killed_at - started, 1),
             "killed_utc": wall(st.killed_at),
             "seconds": None if st.seconds is None else round(st.seconds, 1)} for st in stalls[:count]]


def delivered(feed: MailFeed) -> dict[str, int]:
    counts = dict.fromkeys(feed.mailboxes, 0)
    for mail in feed.snapshot():
        counts[mail.mailbox] += 1
    return counts


def settle(deps: Deps, feed: MailFeed, world: World, timeout: float, since: float) -> float | None:
    """Seconds from `since` until every mail is recorded and no acknowledgement is on its way; None on timeout."""
    deadline = since + timeout
    want = delivered(feed)
    while time.monotonic() < deadline:
        try:
            if truth.recorded_per_mailbox(deps, world.mailboxes) == want and truth.unsettled_acks(deps) == 0:
                return time.monotonic() - since
        except Exception as exc:  # the store busy a moment (a process just killed): look again
            log(f"  settle check failed: {exc!r}")
        time.sleep(SETTLE_POLL_S)
    return None


class Progress:
    """A progress line every PROGRESS_EVERY_S on stderr while the soak runs."""

    def __init__(self, feed: MailFeed, monitor: StallMonitor, faults: FaultRunner, started: float,
                 total: int) -> None:
        self._args = (feed, monitor, faults, started, total)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-progress", daemon=True)

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        feed, monitor, faults, started, total = self._args
        while not self._stop.wait(PROGRESS_EVERY_S):
            recorded = sum(monitor.last.values())
            log(f"  {time.monotonic() - started:5.0f} s: delivered {len(feed.snapshot())}/{total}, recorded "
                f"{recorded}, faults {sum(faults.injected.values())}, kills {len(faults.kills)}")


def rate_line(result: dict[str, Any]) -> str:
    rate = result["mail_rate"]
    line = f"  mail rate: {rate['per_s']} mails/s"
    if rate["cap_per_s"] is not None:
        line += f" (this flavour's cap: {rate['cap_per_s']} mails/s; {rate['asked_mails']} mails asked for)"
    return line


def main(args: argparse.Namespace) -> int:
    result = run(args)
    print(json.dumps(result) if args.json else text(result) + "\n" + rate_line(result), flush=True)
    return 0 if result["bar"]["passed"] else 1
