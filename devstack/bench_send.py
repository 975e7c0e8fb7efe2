"""`gmail-tickets bench send`: what delivering a notification costs and how fast each route goes.

The Gmail simulator runs in its own process with the given latency on every call and Google's per-user quota on
(15,000 units a minute; messages.send costs 100, so at most 150 sends a minute per account). The relay is the local
SMTP relay (devstack/relay_server.py, in this process): STARTTLS, AUTH, one connection per mail, as SmtpRelay sends.

Each route gets N acknowledgements, written to the store as a new ticket would write them, then delivered by
`send_notification` from `WORKERS` threads (what the embedded publisher's workers or concurrent function
instances do); a transient refusal is tried again with the embedded publisher's redelivery backoff.
1. Gmail: the simulated account's daily limit and ours are raised to N, so every mail may go via Gmail.
2. Relay: sending via Gmail turned off for the account (accounts.set_send_via_gmail), so every mail goes via relay.

Per route: sends/s, p50/p95 of the call that settled each mail, Gmail quota units and calls per send (the
simulator's counters), store writes per notification (claim + settle), and every mail looked for where it can
land — the account's SENT folder by Message-ID, the relay's record — to count it there exactly once.
"""

from __future__ import annotations

import argparse
import queue
import statistics
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devstack.bench import ADDRESS, SimControl, log, make_store, simulator
from devstack.relay_server import RelayServer
from gmail_tickets import bootstrap, logs, secret_names
from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.outbox import NotificationState
from gmail_tickets.errors import TransientError
from gmail_tickets.ports import UnitOfWork
from gmail_tickets.services.accounts import set_send_via_gmail
from gmail_tickets.services.connect import connect_mailbox
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.notifications import acknowledgement
from gmail_tickets.services.send_notification import send_notification

WORKERS = 4
# A transient refusal (rate limit, relay busy, a sender holding the record) is tried again as the embedded
# publisher redelivers: after 0.5 s, doubling up to 10 s (LocalPublisher's defaults).
RETRY_FIRST_S, RETRY_MAX_S = 0.5, 10.0
SEND_UNITS = 100  # messages.send, in Google's quota table
QUOTA_PER_MINUTE = 15_000
CREATE_BATCH = 50


def queue_notifications(deps: Deps, count: int, tag: str) -> list[str]:
    """`count` tickets, each with its acknowledgement queued, as record_mail writes them (batched here: set-up
    is not what is measured)."""
    ids: list[str] = []
    now = datetime.now(UTC)

    def batch(uow: UnitOfWork, start: int, end: int) -> list[str]:
        made = []
        for n in range(start, end):
            ticket = Ticket(subject=f"Request {tag}-{n}: the export button does nothing",
                            requester=f"customer{n}@example.net", connection=ADDRESS,
                            requester_name=f"Customer {n}", created_at=now)
            uow.add_ticket(ticket)
            description = Comment(ticket_id=int(ticket.id or 0), author=ticket.requester, body_text="",
                                  created_at=now, connection=ADDRESS)  # not stored: only its verdicts are read
            ack = acknowledgement(deps, ticket, description, sender=ticket.requester, recent=None, brand=None,
                                  customer_message_id=f"{tag}-{n}@example.net",
                                  references=[f"{tag}-{n}@example.net"], ours={ADDRESS}, now=now)
            assert ack is not None
            uow.put_notification(ack)
            made.append(ack.id)
        return made

    for start in range(0, count, CREATE_BATCH):
        end = min(count, start + CREATE_BATCH)
        ids += deps.store.atomically(lambda uow, s=start, e=end: batch(uow, s, e))
    return ids


def deliver(deps: Deps, ids: list[str], label: str) -> dict[str, Any]:
    """Send every notification from WORKERS threads; the duration of the call that settled each, and retries."""
    todo: queue.Queue[str] = queue.Queue()
    for record_id in ids:
        todo.put(record_id)
    durations: list[float] = []
    outcomes: Counter[str] = Counter()
    retries: Counter[str] = Counter()
    lock = threading.Lock()
    done = 0

    def worker() -> None:
        nonlocal done
        while True:
            try:
                record_id = todo.get_nowait()
            except queue.Empty:
                return
            attempt = 0
            while True:
                started = time.perf_counter()
                try:
                    outcome = send_notification(deps, record_id)
                except TransientError as exc:
                    delay = min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** attempt)
                    attempt += 1
                    with lock:
                        kind = type(exc).__name__
                        if not retries[kind]:
                            log(f"  {label}: first {kind}, tried again in {delay:g} s: {exc}")
                        retries[kind] += 1
                    time.sleep(delay)
                    continue
                with lock:
                    durations.append(time.perf_counter() - started)
                    outcomes[f"{outcome.result}:{outcome.via}"] += 1
                    done += 1
                    if done % max(1, len(ids) // 10) == 0 or done == len(ids):
                        log(f"  {label}: {done}/{len(ids)} sent")
                break

    threads = [threading.Thread(target=worker, name=f"send-{i}") for i in range(WORKERS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"seconds": time.monotonic() - started, "durations": durations, "outcomes": dict(outcomes),
            "retries": dict(retries)}


def sent_copies(sim: SimControl) -> Counter[str]:
    """Copies per Message-ID in the account's SENT folder."""
    query = urllib.parse.quote("in:sent")
    listing = sim.call("GET", f"/mailboxes/{ADDRESS}/messages?q={query}")["messages"]
    return Counter(m["messageId"].strip("<>") for m in listing if m.get("messageId"))


def route_result(deps: Deps, ids: list[str], run: dict[str, Any], counters: dict[str, Any], writes: int,
                 gmail: Counter[str], relay: Counter[str]) -> dict[str, Any]:
    """The figures, and where each of these mails landed: in SENT, at the relay, both (a duplicate) or neither."""
    records = [deps.store.get_notification(i) for i in ids]
    mids = [r.message_id for r in records if r is not None]
    ours = Counter({m: gmail.get(m, 0) + relay.get(m, 0) for m in mids})
    durations = sorted(run["durations"])
    cuts = statistics.quantiles(durations, n=20) if len(durations) >= 2 else durations * 19
    return {
        "mails": len(ids),
        "seconds": round(run["seconds"], 2),
        "sends_per_s": round(len(ids) / run["seconds"], 1),
        "p50_s": round(statistics.median(durations), 3),
        "p95_s": round(cuts[18], 3),
        "quota_units_per_send": round(counters["units"] / len(ids), 1),
        "gmail_calls_per_send": round(counters["calls"] / len(ids), 3),
        "gmail_errors": counters["errors"],
        "store_writes_per_notification": round(writes / len(ids), 2),
        "retries": run["retries"],
        "outcomes": run["outcomes"],
        "landed_in_sent": sum(1 for m in mids if gmail.get(m)),
        "landed_at_relay": sum(1 for m in mids if relay.get(m)),
        "sent": sum(r is not None and r.state == NotificationState.SENT for r in records),
        "failed": sum(r is not None and r.state == NotificationState.FAILED for r in records),
        "missing": sum(1 for n in ours.values() if n == 0),
        "duplicates": sum(n - 1 for n in ours.values() if n > 1),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    logs.configure("WARNING")
    count = args.mails
    with ExitStack() as stack:
        state = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gmail-tickets-bench-send-")))
        # No watch is set up, so the simulator never pushes: the URL is only a required argument.
        sim, started = stack.enter_context(simulator(args.latency * 1000, "http://127.0.0.1:9/"))
        creds = started["mailboxes"][0]
        relay = stack.enter_context(RelayServer(state / "relay"))
        store = make_store(args.store, state, stack)
        config = bootstrap.Config(
            secrets_file=str(state / "secrets.json"), blobs_dir=str(state / "blobs"),
            gmail_root_url=started["url"], token_uri=started["token_uri"], oauth_client_id=creds["client_id"],
            settings=replace(bootstrap.Config().settings, send_limit=count), **relay.config_fields(),
        )
        deps = bootstrap.build(config, store=store)
        deps.secrets.put(secret_names.OAUTH_CLIENT_SECRET, creds["client_secret"])
        deps.secrets.put(secret_names.RELAY_PASSWORD, relay.password)
        connect_mailbox(deps, ADDRESS, creds["refresh_token"], watch=False)
        sim.call("PUT", f"/mailboxes/{ADDRESS}/send-limit", {"limit": count})

        results: dict[str, Any] = {}
        for route in ("gmail", "relay"):
            if route == "relay":
                set_send_via_gmail(deps, ADDRESS, False)
            ids = queue_notifications(deps, count, f"bench-{route}")
            log(f"{route}: sending {count} notifications ({WORKERS} workers, "
                f"{args.latency * 1000:.0f} ms per Gmail call, {args.store})")
            sim.call("DELETE", f"/counters?address={ADDRESS}")
            writes_before = store.write_count
            outcome = deliver(deps, ids, route)
            writes = store.write_count - writes_before
            results[route] = route_result(deps, ids, outcome, sim.counters(), writes, sent_copies(sim),
                                          relay.message_ids())

    return {
        "store": args.store, "latency_ms": args.latency * 1000, "workers": WORKERS, "via_gmail": results["gmail"],
        "via_relay": results["relay"],
        "gmail_quota_bound_sends_per_s": round(QUOTA_PER_MINUTE / SEND_UNITS / 60, 2),
        "ok": all(r["duplicates"] == 0 and r["missing"] == 0 and r["failed"] == 0 for r in results.values()),
    }
