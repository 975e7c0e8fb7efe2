"""`gmail-tickets bench scale` on a few mailboxes: the JSON issue 18 asks for, with counts that can be believed."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack import bench_scale, scale_report
from devstack.scale_deliver import Deliverer

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).with_name("gmail-tickets")
SMALL = ["--mailboxes", "20", "--active-mailboxes", "3", "--mails-per-mailbox", "3", "--latency", "0"]


def test_the_command_prints_exactly_the_issues_keys_with_sane_counts() -> None:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'shared'}{os.pathsep}{ROOT}"}
    done = subprocess.run([str(CLI), "bench", "scale", *SMALL, "--json"], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert set(result) == {"sweep_s", "idle_tick", "active"}
    assert set(result["idle_tick"]) == {"reads", "writes", "transactions", "gmail_units", "publishes", "secret_reads"}
    assert set(result["active"]) == {"mails_per_s", "slowest_mailbox_s", "gmail_units_per_mail", "writes_per_ticket"}
    assert result["sweep_s"] > 0
    assert result["idle_tick"]["publishes"] > 0  # the sweep asked for something per mailbox
    assert result["idle_tick"]["reads"] > 0
    assert result["active"]["slowest_mailbox_s"] is not None  # every mailbox got all its mail in
    assert result["active"]["writes_per_ticket"] > 0 and result["active"]["gmail_units_per_mail"] > 0
    assert "mailboxes unfinished" in done.stderr or "in the ledger" in done.stderr  # progress on stderr


def args(store: str) -> argparse.Namespace:
    return argparse.Namespace(store=store, mailboxes=20, active_mailboxes=3, mails_per_mailbox=3, latency=0.0,
                              active_timeout=240.0, publisher="local")


@pytest.mark.parametrize("store", ["sqlite", pytest.param("firestore", marks=pytest.mark.slow)])
def test_every_mail_of_the_active_run_becomes_a_ticket(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The bench points the clients at its emulators through the environment: give it back afterwards.
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", os.environ.get("FIRESTORE_EMULATOR_HOST", ""))
    monkeypatch.setenv("SECRET_MANAGER_EMULATOR_HOST", "")
    figures = bench_scale.run(args(store))
    active, idle = figures["active"], figures["idle"]
    assert active["tickets"] == active["mails"] == 9
    assert active["unfinished_mailboxes"] == 0
    assert active["records_per_ticket"] >= 3  # at least ledger, ticket, description
    assert active["writes_per_ticket"] > 0 and active["sync_writes_per_mail"] > 0  # each sync took its lease
    # The ticket's own writes and the syncs' add up to the bill (the two share no collection or table).
    assert active["billed_writes_per_ticket"] == pytest.approx(
        active["writes_per_ticket"] + active["sync_writes_per_mail"] * active["ledgered"] / active["tickets"], abs=0.02)
    assert 0 <= active["labels_owed_per_mail"] <= 1 and active["owed_label_units_per_mail"] >= 0
    assert active["commits_per_mail"] > 0 and active["aborted_commits"] >= 0
    assert (active["round_trips_per_mail"] > 0) == (store == "firestore")  # calls to the server: Firestore's
    assert idle["tick_s"] >= idle["sweep_s"]
    assert idle["gmail_units"] >= 0 and idle["transactions"] >= 0
    table = scale_report.table(figures)
    assert "idle tick (per mailbox)" in table and "writes_per_ticket" in table
    assert set(scale_report.report(figures)["idle_tick"]) == set(scale_report.IDLE_KEYS)


@pytest.mark.slow
def test_with_pubsub_every_sweep_publish_goes_through_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", os.environ.get("PUBSUB_EMULATOR_HOST", ""))
    monkeypatch.setenv("SECRET_MANAGER_EMULATOR_HOST", "")
    figures = bench_scale.run(argparse.Namespace(**{**vars(args("sqlite")), "publisher": "pubsub",
                                                    "mailboxes": 5, "active_mailboxes": 0}))
    assert figures["active"] is None
    assert figures["idle"]["publishes"] > 0  # the sweep's shard went out through Pub/Sub, came back, was handled
    assert figures["idle"]["gmail_units"] >= 2  # ... by the product's handler, which asked Gmail for each history
    assert scale_report.report(figures)["active"] == dict.fromkeys(scale_report.ACTIVE_KEYS)


def test_a_deliverer_that_cannot_reach_the_simulator_says_so() -> None:
    """The active run stops waiting when its mail cannot be delivered, instead of polling until its timeout."""
    deliverer = Deliverer("http://127.0.0.1:9", 1, ["support@example.com"])  # nothing listens on port 9
    deliverer.close()
    assert deliverer.error == "exit 1" and deliverer.delivered == [] and deliverer.seconds is None
