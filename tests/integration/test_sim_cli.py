"""`python -m devstack.gmail_sim` / `gmail-tickets sim` and the bench hook."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from devstack.gmail_sim import bench, cli
from gmail_tickets.adapters.gmail_client import gmail_service, oauth_credentials


def client_for(creds: dict, url: str):
    return gmail_service(
        oauth_credentials(creds["refresh_token"], creds["client_id"], creds["client_secret"], creds["token_uri"]),
        root_url=url,
    )


def test_module_prints_one_json_line_with_credentials_and_serves():
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devstack.gmail_sim",
            "--port",
            "0",
            "--mailbox",
            "a@example.com",
            "--mailbox",
            "b@example.com:workspace",
            "--seed",
            "3",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert info["url"].startswith("http://127.0.0.1:") and info["token_uri"] == info["url"] + "/token"
        a, b = info["mailboxes"]
        assert (a["address"], a["kind"], b["kind"]) == ("a@example.com", "gmail", "workspace")
        assert set(a) == {"address", "kind", "refresh_token", "client_id", "client_secret", "token_uri"}
        assert client_for(b, info["url"]).users().getProfile(userId="me").execute()["emailAddress"] == "b@example.com"
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_register_adds_the_sim_subcommand():
    parser = argparse.ArgumentParser(prog="gmail-tickets")
    subparsers = parser.add_subparsers(dest="command")
    cli.register(subparsers)
    args = parser.parse_args(["sim", "--port", "0", "--mailbox", "x@example.com", "--latency-ms", "0"])
    assert args.run is cli.run
    sim, server, info = cli.start(args)
    try:
        creds = info["mailboxes"][0]
        assert (
            client_for(creds, info["url"]).users().getProfile(userId="me").execute()["emailAddress"] == "x@example.com"
        )
    finally:
        server.stop()
        sim.close()


def test_bench_hook_returns_figures():
    parser = argparse.ArgumentParser(prog="gmail-tickets bench")
    bench.register(parser.add_subparsers(dest="what"))
    args = parser.parse_args(["sim", "--n-get", "20"])
    assert args.func is bench.run and args.n_get == 20
    result = bench.run_bench(n_get=30, n_raw=10, n_batches=2, batch_size=10, separate_process=False)
    assert result["messages_get_per_s"] > 0 and result["batch_gets_per_s"] > 0
