"""`gmail-tickets export --jsonl [--since DATE]`: the help desk as JSON Lines on stdout, for backups and
migrations; a running count on stderr. Reads the store the local configuration (GT_* variables) names."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from gmail_tickets.services.deps import Deps

PROGRESS_EVERY = 100


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    export = sub.add_parser("export", help="every ticket with its comments, history and attachment references")
    export.add_argument("--jsonl", action="store_true", required=True, help="one JSON object per ticket and line")
    export.add_argument("--since", type=_moment, default=None, metavar="DATE",
                        help="only tickets changed at or after DATE (2024-05-17, or an ISO time; UTC if no zone)")
    export.set_defaults(run=_run)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date: {text!r}") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _run(args: argparse.Namespace) -> int:
    from gmail_tickets import bootstrap

    deps = bootstrap.build(bootstrap.local_config())
    return export(deps, args.since, sys.stdout, sys.stderr)


def export(deps: Deps, since: datetime | None, out: TextIO, progress: TextIO) -> int:
    from gmail_tickets.services.export import every_ticket

    count = 0
    for ticket in every_ticket(deps, since):
        out.write(json.dumps(ticket, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
        if count % PROGRESS_EVERY == 0:
            progress.write(f"exported {count} tickets\n")
            progress.flush()
    out.flush()
    progress.write(f"exported {count} tickets in all\n")
    return 0
