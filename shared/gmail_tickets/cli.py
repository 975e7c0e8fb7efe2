"""`gmail-tickets`: the command line. Subcommands are thin: they parse arguments and call one thing."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gmail-tickets", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the whole product on one machine against the Gmail simulator")
    demo.add_argument("--once", action="store_true", help="deliver the sample mail, ingest it, print a JSON summary")
    demo.add_argument("--mail-dir", help="also deliver every *.eml file in this folder")
    demo.add_argument("--sweep-interval", type=float, default=60.0, help="seconds between sweeps (default 60)")
    demo.add_argument("--cloud", action="store_true",
                      help="use the Firestore and Pub/Sub emulators and functions-framework instead of SQLite")
    demo.add_argument("--timeout", type=float, default=120.0, help="with --once: give up after this many seconds")
    demo.add_argument("--console-port", type=int, default=8080, help="where the console listens (0: any free port)")
    demo.add_argument("--send-limit", type=int, default=None, metavar="N",
                      help="the simulated Gmail account's own daily sending limit (default: Workspace's 2,000); "
                           "past it, the relay")
    demo.add_argument("--state-dir", help="keep the embedded demo's database, secrets and files in this folder "
                      "(default: a temporary one, removed afterwards)")
    demo.set_defaults(run=_run_demo)

    from devstack.gmail_sim import cli as sim_cli

    sim_cli.register(sub)

    bench = sub.add_parser("bench", help="measure the product (see docs/benchmarks.md)")
    bench.add_argument("target", nargs="?", default="ingest",
                       choices=["ingest", "sim", "coldstart", "send", "hostile", "chaos", "console", "scale"])
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--mails", type=int, default=None, help="mails to deliver (default 1000; chaos: 1500, "
                                                                          "the cloud flavour at most 2.5 a second)")
    bench.add_argument("--latency", type=float, default=0.05, help="simulated Gmail latency per call, seconds")
    bench.add_argument("--store", choices=["sqlite", "firestore"], default="sqlite")
    bench.add_argument("--trickle-seconds", type=float, default=30.0)
    bench.add_argument("--trickle-rate", type=float, default=2.0)
    bench.add_argument("--runs", type=int, default=15, help="coldstart: fresh processes per measurement")
    bench.add_argument("--flavour", choices=["embedded", "cloud"], default="embedded", help="chaos: which product")
    bench.add_argument("--seconds", type=float, default=210.0, help="chaos: how long mail and faults go on")
    bench.add_argument("--seed", type=int, default=1, help="chaos: the fault schedule's and the mail's seed")
    bench.add_argument("--settle-timeout", type=float, default=180.0,
                       help="chaos: how long to wait for the product to settle after the faults")
    bench.add_argument("--keep-state", metavar="DIR",
                       help="chaos: keep the run's files (each process's JSON log, the emulators' logs) in DIR")
    bench.add_argument("--tickets", type=int, default=10_000, help="console: tickets in each store")
    bench.add_argument("--comments-per-ticket", type=int, default=3, help="console: comments on each ticket")
    bench.add_argument("--mailboxes", type=int, default=1000, help="scale: mailboxes connected")
    bench.add_argument("--active-mailboxes", type=int, default=200, help="scale: mailboxes that get mail")
    bench.add_argument("--mails-per-mailbox", type=int, default=20, help="scale: mails each active mailbox gets")
    bench.add_argument("--publisher", choices=["local", "pubsub"], default="local",
                       help="scale: the in-process broker, or Google's Pub/Sub emulator for every publish")
    bench.add_argument("--active-timeout", type=float, default=1800.0,
                       help="scale: seconds the active run may take before it reports what it got")
    bench.add_argument("--sweep-only", action="store_true",
                       help="scale: time the sweep alone (listing and publishing, nothing handled) and one connect "
                            "at 10 and at N mailboxes")
    bench.set_defaults(run=_run_bench)

    bundle = sub.add_parser("bundle", help="build dist/function-source.zip, the Cloud Functions source (reproducible)")
    bundle.add_argument("--out", help="where to write the archive (default: dist/function-source.zip)")
    bundle.add_argument("--json", action="store_true", help="print one JSON object")
    bundle.set_defaults(run=_run_bundle)

    connect = sub.add_parser("connect", help="connect a Gmail account on this machine (browser sign-in)")
    connect.add_argument("address", help="the Gmail address to connect")
    connect.add_argument("--brand", default=None,
                         help="brand of its tickets (default: the default brand; a reconnection keeps its own)")
    connect.add_argument("--import-recent", action=argparse.BooleanOptionalAction, default=True,
                         help="tickets from the last 300 inbox mails (default), or from the last hour's unread mail")
    connect.add_argument("--port", type=int, default=0, help="loopback port for Google's redirect (0: any free)")
    connect.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the browser")
    connect.add_argument("--no-browser", action="store_true", help="only print the sign-in address")
    connect.set_defaults(run=_run_connect)

    from gmail_tickets.local import export_cli, parse_cli

    parse_cli.register(sub)
    export_cli.register(sub)

    serve = sub.add_parser("serve", help="run the product on this machine against real Gmail (until Ctrl-C)")
    serve.add_argument("--console-port", type=int, default=8080, help="where the console listens (0: any free port)")
    serve.add_argument("--sweep-interval", type=float, default=60.0, help="seconds between syncs (default 60)")
    serve.set_defaults(run=_run_serve)
    return parser


def _run_demo(args: argparse.Namespace) -> int:
    from devstack import demo

    return demo.main(args)


def _run_bench(args: argparse.Namespace) -> int:
    if args.target == "chaos":
        from devstack.chaos import harness

        args.mails = 1500 if args.mails is None else args.mails
        return harness.main(args)
    from devstack import bench

    args.mails = 1000 if args.mails is None else args.mails
    return bench.main(args)


def _run_bundle(args: argparse.Namespace) -> int:
    from devstack import bundle

    return bundle.main(args)


def _run_connect(args: argparse.Namespace) -> int:
    from gmail_tickets.local.connect_cli import run_connect

    return run_connect(args.address, brand=args.brand, import_recent=args.import_recent, port=args.port,
                       timeout=args.timeout, open_browser=not args.no_browser)


def _run_serve(args: argparse.Namespace) -> int:
    from gmail_tickets.local.serve import run_serve

    return run_serve(console_port=args.console_port, sweep_interval=args.sweep_interval)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
