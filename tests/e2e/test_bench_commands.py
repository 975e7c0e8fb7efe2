"""The README's `bench` commands as a user runs them: each exits 0 and prints one JSON object with its figures.
The figures themselves are measurements for docs/benchmarks.md, not assertions; what is asserted is that every
mail and notification was accounted for (none missing, none twice) and the hostile mail was bounded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def bench(*args: str, timeout: float = 300) -> dict[str, Any]:
    cli = Path(sys.executable).with_name("gmail-tickets")
    done = subprocess.run([str(cli), "bench", *args, "--json"], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_bench_ingest_with_its_hostile_mail_step() -> None:
    out = bench("--mails", "20", "--trickle-seconds", "3")
    assert out["burst"]["mails"] == 20 and out["burst"]["store_writes_per_ticket"] > 0
    assert out["trickle"]["mails"] > 0
    assert out["hostile"]["mail_mb"] == 5.0 and out["hostile"]["stored_html_kb"] < 1024
    assert set(out["met"]) >= {"quota_units_per_mail", "store_writes_per_ticket", "hostile_parse"}


def test_bench_hostile_bounds_the_5_mb_nested_mail() -> None:
    out = bench("hostile")
    assert any("flattened" in p for p in out["problems"]) and any("cut" in p for p in out["problems"])
    assert out["hostile_delivery_to_ticket_s"] > 0 and out["mail_behind_delivery_to_ticket_s"] > 0


def test_bench_send_accounts_for_every_notification_on_both_routes() -> None:
    out = bench("send", "--mails", "10")
    for route in ("via_gmail", "via_relay"):
        assert out[route]["sent"] == 10 and out[route]["missing"] == 0 and out[route]["duplicates"] == 0


def test_bench_coldstart_loads_no_heavy_client() -> None:
    out = bench("coldstart", "--runs", "2")
    assert out["met"]["no_heavy_client_at_import"] is True


def test_bench_console_times_every_view_on_both_stores() -> None:
    out = bench("console", "--tickets", "260", "--comments-per-ticket", "2")
    views = {"unassigned", "mine", "open", "pending", "on-hold", "solved", "all"}
    for kind in ("sqlite", "firestore"):
        assert set(out[kind]["views"]) >= views
        search = out[kind]["search"]  # timed on a small desk: fractions of a millisecond, so only its shape
        assert search["searches"] == {"sqlite": 80, "firestore": 2}[kind] and search["p95_ms"] <= search["max_ms"]
        assert {"open_by_priority", "all_tagged_vip", "requester"} <= set(out[kind]["views"])
        assert out[kind]["views"]["all"]["tickets"] == 260 and out[kind]["views"]["all"]["later_page"] == 5
        assert all(v["first_page_ms"] > 0 and v["later_page_ms"] > 0 for v in out[kind]["views"].values())
        assert sum(out[kind]["views"][k]["tickets"] for k in ("open", "pending", "on-hold", "solved")) < 260
    assert out["met"]["sqlite_worst_ms"] > 0


@pytest.mark.parametrize("store", ["sqlite", "firestore"])
def test_bench_scale_sweep_only_times_the_sweep_and_one_connect_at_10_and_at_n(store: str) -> None:
    out = bench("scale", "--mailboxes", "150", "--store", store, "--publisher", "pubsub", "--sweep-only",
                "--latency", "0")
    assert out["mailboxes_swept"] == 150 and out["shards"] == 2 and out["finished"] and out["errors"] == {}
    assert out["sweep_s"] > 0 and len(out["sweep_runs_s"]) == 3
    # Listing the connections and nothing handled: Firestore bills a read per document, SQLite counts statements.
    assert out["store_writes"] == 0 and out["store_reads"] >= {"firestore": 150, "sqlite": 1}[store]
    at_10, at_n = out["connect_cost"]["at_10"], out["connect_cost"]["at_n"]
    assert at_10["mailbox"] == 10 and at_n["mailbox"] == 150
    assert at_10["writes"] > 0 and at_10["gmail_units"] > 0  # the product's connect path ran, import included
    assert at_n["reads"] <= at_10["reads"] and at_n["writes"] <= at_10["writes"]
