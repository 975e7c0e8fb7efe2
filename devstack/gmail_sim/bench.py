"""Throughput of the simulator through the REAL client: messages.get (format=full and raw), sequential
on one keep-alive connection, and batches of gets.

By default the server runs in its own process pinned to one core (`taskset -c 0`, when available), so
the figure is the server's throughput on ONE core, not shared with the client's CPU. `gmail-tickets
bench sim` calls `run_bench()`; also `python -m devstack.gmail_sim.bench`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from .config import SimConfig
from .server import SimServer
from .simulator import GmailSimulator

ADDRESS = "bench@example.com"


def sample_message() -> bytes:
    """A typical support mail: text + HTML alternative, ~4 KB."""
    msg = EmailMessage()
    msg["From"] = "Customer <customer@example.org>"
    msg["To"] = ADDRESS
    msg["Subject"] = "Order 1234 arrived damaged"
    msg["Message-ID"] = "<bench-1@example.org>"
    text = "Hello, my order arrived with a cracked screen. Could you send a replacement?\n" * 20
    msg.set_content(text)
    msg.add_alternative("<html><body>" + text.replace("\n", "<br>") + "</body></html>", subtype="html")
    return msg.as_bytes()


def _cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _rate(n: int, fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)


def _spawn(cpu: int | None, latency_ms: float) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    cmd = [
        sys.executable,
        "-m",
        "devstack.gmail_sim",
        "--port",
        "0",
        "--mailbox",
        ADDRESS,
        "--seed",
        "7",
        "--latency-ms",
        str(latency_ms),
        "--quota-per-minute",
        str(10**9),
    ]
    if cpu is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(cpu), *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise RuntimeError("simulator did not start")
    return proc, json.loads(line)


def run_bench(
    *,
    n_get: int = 1000,
    n_raw: int = 500,
    n_batches: int = 20,
    batch_size: int = 50,
    latency_ms: float = 0.0,
    server_cpu: int | None = 0,
    separate_process: bool = True,
) -> dict[str, Any]:
    """Measure and return {"messages_get_per_s", "messages_get_raw_per_s", "batch_gets_per_s", ...}.

    `messages_get_per_s` reuses the `users().messages()` resource; `..._building_resources` calls
    `service.users().messages().get(...)` each time (the client then rebuilds two resources per call,
    which costs the client more than the server spends)."""
    from gmail_tickets.adapters.gmail_client import gmail_service, oauth_credentials

    proc = sim = server = None
    try:
        if separate_process:
            proc, info = _spawn(server_cpu, latency_ms)
            url, creds = info["url"], info["mailboxes"][0]
            request = urllib.request.Request(
                f"{url}/sim/v1/mailboxes/{ADDRESS}/deliver", data=sample_message(), method="POST"
            )
            with urllib.request.urlopen(request) as answer:
                message_id = json.loads(answer.read())["id"]
        else:
            sim = GmailSimulator(SimConfig(seed=7, default_latency_ms=latency_ms, quota_units_per_minute=10**9))
            sim.add_mailbox(ADDRESS)
            server = SimServer(sim).start()
            url, creds = server.url, sim.credentials(ADDRESS).to_json()
            message_id = sim.deliver(ADDRESS, sample_message())

        service = gmail_service(
            oauth_credentials(creds["refresh_token"], creds["client_id"], creds["client_secret"], creds["token_uri"]),
            root_url=url,
        )
        messages = service.users().messages()
        for _ in range(50):  # warm up: token refresh, connection, code paths
            messages.get(userId="me", id=message_id).execute()

        cpu_before = _cpu_seconds(proc.pid) if proc else None
        get_rate = _rate(n_get, lambda: messages.get(userId="me", id=message_id).execute())
        cpu_after = _cpu_seconds(proc.pid) if proc else None
        idiom_rate = _rate(n_raw, lambda: service.users().messages().get(userId="me", id=message_id).execute())
        raw_rate = _rate(n_raw, lambda: messages.get(userId="me", id=message_id, format="raw").execute())

        def one_batch() -> None:
            batch = service.new_batch_http_request()
            for _ in range(batch_size):
                batch.add(messages.get(userId="me", id=message_id))
            batch.execute()

        batch_rate = _rate(n_batches, one_batch)
        result: dict[str, Any] = {
            "messages_get_per_s": round(get_rate, 1),
            "messages_get_raw_per_s": round(raw_rate, 1),
            "messages_get_per_s_building_resources": round(idiom_rate, 1),
            "batches_per_s": round(batch_rate, 2),
            "batch_gets_per_s": round(batch_rate * batch_size, 1),
            "n_get": n_get,
            "n_raw": n_raw,
            "n_batches": n_batches,
            "batch_size": batch_size,
            "latency_ms": latency_ms,
            "message_bytes": len(sample_message()),
            "server": "separate process" + (f" pinned to cpu {server_cpu}" if server_cpu is not None else "")
            if separate_process
            else "in process",
        }
        if cpu_before is not None and cpu_after is not None:
            result["server_cpu_ms_per_get"] = round((cpu_after - cpu_before) * 1000 / n_get, 3)
        return result
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
        if server is not None:
            server.stop()
        if sim is not None:
            sim.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n-get", type=int, default=1000)
    parser.add_argument("--n-raw", type=int, default=500)
    parser.add_argument("--n-batches", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--server-cpu", type=int, default=0, help="core to pin the server to (-1: no pinning)")
    parser.add_argument("--in-process", action="store_true", help="serve from this process (shares the GIL)")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add a `sim` benchmark subcommand (for `gmail-tickets bench sim`); func=run."""
    parser = subparsers.add_parser("sim", help="measure the Gmail simulator's throughput", description=__doc__)
    add_arguments(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    result = run_bench(
        n_get=args.n_get,
        n_raw=args.n_raw,
        n_batches=args.n_batches,
        batch_size=args.batch_size,
        latency_ms=args.latency_ms,
        server_cpu=None if args.server_cpu < 0 else args.server_cpu,
        separate_process=not args.in_process,
    )
    print(json.dumps(result, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.gmail_sim.bench", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
