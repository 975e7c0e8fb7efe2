"""`gmail-tickets bench console`: how fast the console's ticket views are on a full desk.

Fills each store (SQLite in a temporary folder, Firestore on its emulator) with N tickets, each with
--comments-per-ticket comments, through the store ports (many tickets per unit of work: filling is not what is
measured), then signs in to the console (the Flask app, through its test client: routing, the service, the store's
queries and counts, the template) and times each view's first page and a later one (page 5, reached through the
Older links' cursors, or the last page of a shorter view); also a sort, a tag filter and a requester's page.
Search is timed through the console's search call (devstack/bench_search.measure_search) on the same desk: every
query of its spread five times on SQLite; on the emulator, which scans every comment per lookup, two queries once.
"""

from __future__ import annotations

import argparse
import html
import random
import re
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from devstack.bench import make_store
from devstack.bench_search import JAPANESE, NAMES, QUERIES, SearchCase, measure_search, vocabulary, words
from gmail_tickets import bootstrap
from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.paging import PageRequest
from gmail_tickets.domain.ticket_activity import note_comment
from gmail_tickets.domain.ticket_fields import Priority, TicketStatus
from gmail_tickets.domain.ticket_query import TicketFilter, TicketSort
from gmail_tickets.domain.ticket_views import VIEWS
from gmail_tickets.ports import Store, UnitOfWork
from gmail_tickets.web import ConsoleDeps, create_app
from gmail_tickets.web.auth import SecretAuth

BAR_MS = 150.0  # each view's first and later page on SQLite with 10,000 tickets
LATER_PAGE = 5
SECRET = "bench-console-secret"
ME = "admin"  # who signs in (the admin secret): "My open" is theirs
AGENTS = (ME, "ana@acme.test", "bo@acme.test", "cy@acme.test", None, None)
STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ON_HOLD,
            TicketStatus.SOLVED, TicketStatus.SOLVED, TicketStatus.CLOSED)
MAILBOXES = ("help@acme.test", "billing@acme.test")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
UNIT = {"sqlite": 500, "firestore": 100}  # tickets per unit of work (Firestore: ≤ 500 writes per transaction)

SEARCH_SPREAD: dict[str, tuple[tuple[SearchCase, ...], int]] = {"sqlite": (QUERIES, 5), "firestore": (QUERIES[:2], 1)}
"""store kind → the queries searched and how many times each (bench_search.QUERIES: words, phrases, prefixes...)."""


def fill(store: Store, tickets: int, comments_per_ticket: int, *, kind: str, seed: int = 7) -> None:
    rng = random.Random(seed)
    vocab = vocabulary(rng)  # the search bench's text, so its queries find what agents would
    for start in range(0, tickets, UNIT[kind]):
        batch = [_ticket(rng, vocab, i, comments_per_ticket)
                 for i in range(start, min(tickets, start + UNIT[kind]))]

        def work(uow: UnitOfWork, batch: list[tuple[Ticket, list[Comment]]] = batch) -> None:
            for ticket, comments in batch:
                ticket_id = uow.add_ticket(ticket)
                for comment in comments:
                    comment.ticket_id = ticket_id
                    uow.add_comment(comment)

        store.atomically(work)
        done = start + len(batch)
        if done % 2000 < UNIT[kind] or done == tickets:
            _say(f"{kind}: {done:,} of {tickets:,} tickets written")


def _ticket(rng: random.Random, vocab: list[str], i: int, comments: int) -> tuple[Ticket, list[Comment]]:
    created = T0 + timedelta(minutes=30 * i)
    person = rng.randrange(2000)  # 2,000 customers, about five tickets each
    customer = f"customer{person}@example{person % 300}.test"
    japanese = i % 20 == 0
    subject = rng.choice(JAPANESE) if japanese else words(rng, vocab, rng.randint(3, 8)).capitalize()
    ticket = Ticket(subject, customer, MAILBOXES[i % 2], brand_id="acme" if i % 3 else "beta",
                    requester_name=NAMES[person % len(NAMES)],
                    created_at=created, status=rng.choice(STATUSES), priority=rng.choice(list(Priority)),
                    assignee=rng.choice(AGENTS), tags=["vip"] if rng.random() < 0.1 else [])
    thread: list[Comment] = []
    for n in range(comments):
        at = created + timedelta(hours=n * rng.uniform(1, 200))
        agent = n % 2 == 1
        body = rng.choice(JAPANESE) * 3 if japanese else words(rng, vocab, rng.randint(30, 150))
        comment = Comment(0, "Ana" if agent else customer, body, at, ticket.connection,
                          author_kind="agent" if agent else "customer")
        note_comment(ticket, comment, now=at)
        thread.append(comment)
    return ticket, thread


def time_views(store: Store, state: Path) -> dict[str, dict[str, float | int]]:
    config = bootstrap.Config(secrets_file=str(state / "secrets.json"), blobs_dir=str(state / "blobs"))
    app = create_app(ConsoleDeps(bootstrap.build(config, store=store), admin_auth=SecretAuth(SECRET),
                                 secret_key="bench"))
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").get_data(as_text=True))
    assert token is not None
    client.post("/sign-in", data={"secret": SECRET, "csrf_token": token.group(1)})
    first = store.ticket_page(TicketFilter(), TicketSort.CREATED, PageRequest(1)).items
    lists = {view.key: f"/tickets?view={view.key}" for view in VIEWS} | {
        "open_by_priority": "/tickets?view=open&sort=priority",  # a sort
        "all_tagged_vip": "/tickets?view=all&tag=vip",  # a filter no index serves (json_each in SQLite)
        "requester": f"/requesters/{first[0].requester}" if first else "/requesters/nobody@example.test",
    }
    views: dict[str, dict[str, float | int]] = {}
    for name, url in lists.items():
        first_ms, body = _timed(client, url)
        page, later_ms = 1, first_ms
        while page < LATER_PAGE and (older := _older(body)) is not None:
            later_ms, body = _timed(client, older)
            page += 1
        views[name] = {"first_page_ms": round(first_ms, 1), "later_page_ms": round(later_ms, 1),
                       "later_page": page, "tickets": _total(body)}
    return views


def _timed(client: Any, url: str, runs: int = 3) -> tuple[float, str]:
    """The median of `runs` GETs, in ms, and the page."""
    times, body = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        answer = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (url, answer.status_code)
        body = answer.get_data(as_text=True)
    return statistics.median(times), body


def _older(body: str) -> str | None:
    found = re.search(r'class="pager-older" rel="next" href="([^"]+)"', body)
    return html.unescape(found.group(1)) if found else None


def _total(body: str) -> int:
    found = re.search(r'class="pager-count" data-total="(\d+)"', body)
    return int(found.group(1)) if found else -1


def _say(line: str) -> None:
    print(f"bench console: {line}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"tickets": args.tickets, "comments_per_ticket": args.comments_per_ticket}
    for kind in ("sqlite", "firestore"):
        with ExitStack() as stack, tempfile.TemporaryDirectory(prefix=f"gt-bench-console-{kind}-") as folder:
            state = Path(folder)
            store = make_store(kind, state, stack)
            started = time.perf_counter()
            _say(f"{kind}: filling {args.tickets:,} tickets, {args.tickets * args.comments_per_ticket:,} comments")
            fill(store, args.tickets, args.comments_per_ticket, kind=kind)
            filled = time.perf_counter() - started
            _say(f"{kind}: filled in {filled:.1f} s; timing the views")
            views = time_views(store, state)
            queries, repeats = SEARCH_SPREAD[kind]
            _say(f"{kind}: timing {len(queries) * repeats} searches")
            result[kind] = {"fill_s": round(filled, 1), "views": views,
                            "search": measure_search(store, queries, repeats)}
            close = getattr(store, "close", None)
            if close is not None:
                close()
    worst = max(max(v["first_page_ms"], v["later_page_ms"]) for v in result["sqlite"]["views"].values())
    result["met"] = {"sqlite_views_within_150ms": worst <= BAR_MS, "sqlite_worst_ms": worst}
    return result
