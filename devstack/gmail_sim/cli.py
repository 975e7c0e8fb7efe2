"""`gmail-tickets sim` (and `python -m devstack.gmail_sim`): serve the simulator until interrupted.

On start it prints ONE JSON line: {"url", "token_uri", "control", "mailboxes": [{address, kind,
refresh_token, client_id, client_secret, token_uri}]}, so a script can read its credentials.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any

from .config import SEND_LIMITS, SimConfig
from .server import SimServer
from .simulator import GmailSimulator


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port, see the JSON line)")
    parser.add_argument(
        "--mailbox",
        action="append",
        default=[],
        metavar="ADDRESS[:KIND]",
        help="create a mailbox; KIND is gmail (default) or workspace; repeatable",
    )
    parser.add_argument("--seed", type=int, default=None, help="make ids and tokens reproducible")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="latency of every call (default 0)")
    parser.add_argument("--quota-per-minute", type=int, default=15_000, help="units per user per minute")
    parser.add_argument("--history-retention-s", type=float, default=7 * 86400.0, help="history id lifetime")
    parser.add_argument("--push-url", default=None, help="POST Pub/Sub push bodies here for watched mailboxes")
    parser.add_argument("--pubsub-emulator-host", default=None, help="publish push notifications to this emulator")
    parser.add_argument("--local-delivery", action="store_true", help="mail sent between simulated mailboxes arrives")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `sim` subcommand to an argparse subparsers object (run=run, as `gmail-tickets` dispatches)."""
    parser = subparsers.add_parser("sim", help="run the Gmail API simulator", description=__doc__)
    add_arguments(parser)
    parser.set_defaults(run=run)
    return parser


def _mailbox_arg(value: str) -> tuple[str, str]:
    address, _, kind = value.partition(":")
    kind = kind or "gmail"
    if kind not in SEND_LIMITS:
        raise SystemExit(f"--mailbox {value}: kind must be one of {sorted(SEND_LIMITS)}")
    return address, kind


def start(args: argparse.Namespace) -> tuple[GmailSimulator, SimServer, dict[str, Any]]:
    """Start the simulator and server from parsed arguments; returns the announcement too."""
    config = SimConfig(
        seed=args.seed,
        default_latency_ms=args.latency_ms,
        quota_units_per_minute=args.quota_per_minute,
        history_retention_s=args.history_retention_s,
        push_url=args.push_url,
        push_pubsub_emulator_host=args.pubsub_emulator_host,
        local_delivery=args.local_delivery,
    )
    sim = GmailSimulator(config)
    server = SimServer(sim, host=args.host, port=args.port).start()
    for value in args.mailbox:
        address, kind = _mailbox_arg(value)
        sim.add_mailbox(address, kind)
    announcement = {
        "url": server.url,
        "token_uri": f"{server.url}/token",
        "control": f"{server.url}/sim/v1",
        "mailboxes": [sim.credentials(a).to_json() for a in sim.mailboxes()],
    }
    return sim, server, announcement


def run(args: argparse.Namespace) -> int:
    done = threading.Event()
    if threading.current_thread() is threading.main_thread():  # before announcing: a SIGTERM may follow at once
        signal.signal(signal.SIGTERM, lambda *_: done.set())
    sim, server, announcement = start(args)
    print(json.dumps(announcement), flush=True)
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        sim.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.gmail_sim", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
