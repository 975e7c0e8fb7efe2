"""Search bench: how long the console's search takes on a full desk (`measure_search`, wired into
`gmail-tickets bench console`; bar: p95 ≤ 300 ms on SQLite with 10,000 tickets and 30,000 comments).

Searches go through `services.ticket_search.search`, the call the console's /search page makes, so the figure
includes parsing, the store's index lookups and reading the page of tickets. `seed_desk` writes a synthetic desk:
English-like text with a Zipf-like spread of words (a few very common, most rare), accented names, and one ticket in
twenty in Japanese. Run alone: `python -m devstack.bench_search --store sqlite --tickets 10000 --comments 30000`.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.domain.ticket_query import TicketFilter
from gmail_tickets.ports import Store, UnitOfWork
from gmail_tickets.services import ticket_search

HELP = "help@acme.test"
BATCH = 50  # tickets per transaction while seeding (Firestore allows 500 writes a commit)
COMMON = ("the", "and", "order", "please", "account", "invoice", "help", "login", "refund", "policy", "shipping",
          "delivery", "password", "error", "payment", "thanks", "customer", "problem", "update", "support")
NAMES = ("Zoë Müller", "José Álvarez", "Ann Lee", "Björn Ødegaard", "Chloé Dubois", "Raj Patel", "Mei Tanaka")
JAPANESE = ("東京都の配送について質問があります", "注文した商品がまだ届きません", "返金の手続きを教えてください",
            "パスワードを忘れました", "請求書の金額が間違っています")

SearchCase = str | tuple[str, TicketFilter]
QUERIES: tuple[SearchCase, ...] = (
    "refund", "invoice payment", '"refund policy"', "refu*", "zoe", "muller", "chloe dubois", "東京", "返金",
    "quintrav", "delivery error", ("login", TicketFilter(statuses=(TicketStatus.OPEN,))), "nothingmatches",
    "pass*", '"order please"', "the",
)
"""A spread of what agents type: common and rare words, phrases, prefixes, names with accents typed without,
CJK pairs, a filter, and no match."""


def vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    syllables = ("qu", "in", "tr", "av", "el", "on", "ar", "is", "mo", "ke", "ul", "ra", "te", "po", "ex", "si")
    return list(COMMON) + ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 5))) for _ in range(size)]


def words(rng: random.Random, vocab: list[str], count: int) -> str:
    # Zipf-like: index ~ size * u^3 puts most draws on the first words of the list.
    return " ".join(vocab[int(len(vocab) * rng.random() ** 3)] for _ in range(count))


def seed_desk(store: Store, tickets: int, comments: int, *, seed: int = 7) -> None:
    """`tickets` tickets with `comments` comments in all (each ticket's first mail counts), written in batches."""
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    per_ticket = [1] * tickets
    for _ in range(max(0, comments - tickets)):
        per_ticket[rng.randrange(tickets)] += 1
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for first in range(0, tickets, BATCH):
        batch = range(first, min(first + BATCH, tickets))
        drafts = [_draft(rng, vocab, n, per_ticket[n], start + timedelta(minutes=n)) for n in batch]
        store.atomically(lambda uow, drafts=drafts: _write(uow, drafts))
        if (first // BATCH) % 20 == 19:
            print(f"seeded {first + len(batch)} tickets", file=sys.stderr, flush=True)


def _draft(rng: random.Random, vocabulary: list[str], n: int, count: int,
           at: datetime) -> tuple[Ticket, list[Comment]]:
    name = rng.choice(NAMES)
    address = f"{name.split()[0].lower().encode('ascii', 'ignore').decode()}{n}@customer{n % 97}.test"
    japanese = n % 20 == 0
    subject = rng.choice(JAPANESE) if japanese else words(rng, vocabulary, rng.randint(3, 8)).capitalize()
    status = rng.choice(list(TicketStatus))
    ticket = Ticket(subject=subject, requester=address, requester_name=name, connection=HELP, status=status,
                    created_at=at)
    bodies = [rng.choice(JAPANESE) * 3 if japanese else words(rng, vocabulary, rng.randint(30, 150))
              for _ in range(count)]
    return ticket, [Comment(ticket_id=0, author=address, body_text=body, created_at=at, connection=HELP)
                    for body in bodies]


def _write(uow: UnitOfWork, drafts: list[tuple[Ticket, list[Comment]]]) -> None:
    for ticket, comments in drafts:
        ticket_id = uow.add_ticket(ticket)
        for comment in comments:
            comment.ticket_id = ticket_id
            uow.add_comment(comment)


def measure_search(store: Store, queries: Sequence[SearchCase] = QUERIES, repeats: int = 5) -> dict[str, Any]:
    """Time every query `repeats` times through the console's search call (first page, 25 tickets)."""
    timings: list[float] = []
    slowest: dict[str, float] = {}
    for _ in range(repeats):
        for case in queries:
            text, ticket_filter = (case, TicketFilter()) if isinstance(case, str) else case
            began = time.perf_counter()
            ticket_search.search(store, text, filter=ticket_filter)
            elapsed = (time.perf_counter() - began) * 1000
            timings.append(elapsed)
            slowest[text] = max(slowest.get(text, 0.0), elapsed)
    timings.sort()
    return {"searches": len(timings), "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[math.ceil(len(timings) * 0.95) - 1], 1), "max_ms": round(timings[-1], 1),
            "slowest_query": max(slowest, key=lambda q: slowest[q]),
            "per_query_max_ms": {q: round(ms, 1) for q, ms in slowest.items()}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", choices=("sqlite", "firestore"), default="sqlite")
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from devstack.bench import make_store

    with ExitStack() as stack, tempfile.TemporaryDirectory() as state:
        store = make_store(args.store, Path(state), stack)
        began = time.perf_counter()
        seed_desk(store, args.tickets, args.comments)
        seeded = time.perf_counter() - began
        result = measure_search(store, QUERIES, args.repeats)
        print(json.dumps({"store": args.store, "tickets": args.tickets, "comments": args.comments,
                          "seed_s": round(seeded, 1), **result}, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
