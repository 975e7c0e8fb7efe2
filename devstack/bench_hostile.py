"""`gmail-tickets bench hostile` (and the last part of `bench`): one hostile mail must not stall a mailbox.

The mail: 5 MB of nested <div>s, the shape that made sanitizing quadratic (a 1.1 MB one took 97 s to parse and
held the next mail up for 87 s). Measured:
1. parse: `mail.parse` of its raw bytes in this process, best of 3 (bar: 2 s);
2. through the product: the simulator (own process, push on) gets the hostile mail and, right behind it, an
   ordinary one; each one's delivery-to-ticket time is its ledger entry's commit time minus its delivery time
   (bar for the mail behind: 2 s of its own arrival);
3. view: rendering the stored HTML of the hostile ticket for the console (stored sanitized, shown as stored).
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from devstack.bench import ADDRESS, SimControl, embedded_product, log, mail
from gmail_tickets import logs
from gmail_tickets.mail.parse import parse
from gmail_tickets.ports import Store
from gmail_tickets.web import comment_html

HOSTILE_BYTES = 5 * 1024 * 1024
TARGETS = {"hostile_parse_s_max": 2.0, "mail_behind_hostile_s_max": 2.0}


def hostile_mail(size: int = HOSTILE_BYTES) -> bytes:
    levels = size // len("<div></div>")
    msg = EmailMessage()
    msg["From"] = "Deep Diver <diver@customer.example>"
    msg["To"] = ADDRESS
    msg["Subject"] = "Nested to the bottom"
    msg["Message-ID"] = f"<hostile-{time.time_ns()}@customer.example>"
    msg.set_content("<p>Hello from the surface.</p>" + "<div>" * levels + "the bottom" + "</div>" * levels,
                    subtype="html", cte="8bit")
    return msg.as_bytes()


def _ticket_seconds(store: Store, gmail_id: str, delivered_at: datetime, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while (entry := store.atomically(lambda uow: uow.get_ledger(ADDRESS, gmail_id))) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{gmail_id} not ingested within {timeout} s")
        time.sleep(0.02)
    return (entry.created_at - delivered_at).total_seconds()


def measure_hostile(sim: SimControl, store: Store) -> dict[str, Any]:
    raw = hostile_mail()
    log(f"hostile: parsing a {len(raw) / 1024 / 1024:.1f} MB nested-HTML mail")
    parse_times = []
    for _ in range(3):
        started = time.perf_counter()
        parsed = parse(raw)
        parse_times.append(time.perf_counter() - started)

    log("hostile: delivering it, and an ordinary mail right behind it")
    hostile_at = datetime.now(UTC)
    hostile_id = sim.deliver(raw)
    behind_at = datetime.now(UTC)
    behind_id = sim.deliver(mail(900_000))
    hostile_s = _ticket_seconds(store, hostile_id, hostile_at, timeout=600)
    behind_s = _ticket_seconds(store, behind_id, behind_at, timeout=600)

    ticket = next(t for t in store.list_tickets(limit=10) if t.subject == "Nested to the bottom")
    [comment] = store.comments(ticket.id or 0)
    started = time.perf_counter()
    comment_html.render(comment.body_html or "", comment.attachments, lambda key: f"/attachments/{key}")
    view_s = time.perf_counter() - started

    result = {
        "mail_mb": round(len(raw) / 1024 / 1024, 2),
        "parse_s": round(min(parse_times), 3),
        "stored_html_kb": round(len(parsed.html_body or "") / 1024, 1),
        "problems": parsed.problems,
        "hostile_delivery_to_ticket_s": round(hostile_s, 3),
        "mail_behind_delivery_to_ticket_s": round(behind_s, 3),
        "view_render_ms": round(view_s * 1000, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "targets": TARGETS,
    }
    result["met"] = {
        "hostile_parse": result["parse_s"] <= TARGETS["hostile_parse_s_max"],
        "mail_behind_hostile": behind_s <= TARGETS["mail_behind_hostile_s_max"],
    }
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    logs.configure("WARNING")
    with embedded_product(args) as (sim, store, _runtime):
        return {"store": args.store, "latency_ms": args.latency * 1000, **measure_hostile(sim, store)}
