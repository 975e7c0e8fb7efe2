"""`gmail-tickets demo`: the whole product on one machine, with the Gmail simulator standing in for Google.

Embedded (default): SQLite, a secrets file, the in-process publisher, the sweep timer, and the simulator pushing
notifications straight into the publisher. `--cloud`: the same flow through Google's Firestore and Pub/Sub
emulators, with a Pub/Sub push subscription delivering to `ingest` served by functions-framework.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gmail_tickets import logs
from gmail_tickets.domain.model import Brand, Outcome
from gmail_tickets.ports import Store, UnitOfWork

SUPPORT_ADDRESS = "support@example.com"
DEMO_BRANDS = (Brand("acme", "Acme"), Brand("acme-billing", "Acme Billing"))
SAMPLE_DIR = Path(__file__).parent / "sample_mail"


@dataclass
class Delivered:
    file: str
    gmail_message_id: str


@dataclass
class TicketPrinter:
    """Prints each ticket and comment once, as it appears in the store."""

    store: Store
    out: Any = sys.stdout
    seen_comments: set[str] = field(default_factory=set)
    seen_suspended: set[str] = field(default_factory=set)

    def poll(self) -> None:
        for held in reversed(self.store.list_suspended(limit=200)):
            if held.id not in self.seen_suspended:
                self.seen_suspended.add(held.id)
                print(f"suspended  from {held.sender}  {held.subject!r}  ({held.reason})", file=self.out)
        for ticket in reversed(self.store.list_tickets(limit=200)):
            assert ticket.id is not None
            for comment in self.store.comments(ticket.id):
                if comment.id in self.seen_comments:
                    continue
                self.seen_comments.add(comment.id or "")
                files = [f"{a.filename}{' (inline)' if a.inline else ''}" for a in comment.attachments]
                extras = (f"  followers: {', '.join(ticket.followers)}" if ticket.followers else "") + (
                    f"  attachments: {', '.join(files)}" if files else "") + ("  [html]" if comment.body_html else "")
                if comment.matched_by is None:
                    print(f"ticket #{ticket.id}  from {ticket.requester}  {ticket.subject!r}{extras}", file=self.out)
                else:
                    print(f"  comment on #{ticket.id}  from {comment.author}  (threaded by {comment.matched_by})",
                          file=self.out)
                self.out.flush()


def mail_files(mail_dir: str | None) -> list[Path]:
    files = sorted(SAMPLE_DIR.glob("*.eml"))
    if mail_dir:
        files += sorted(Path(mail_dir).glob("*.eml"))
    return files


def summary(store: Store, address: str, delivered: list[Delivered]) -> dict[str, Any]:
    """Counts from the store itself, so a duplicate would show even if the code thought it avoided one."""
    counts = store.ledger_counts(address)
    per_message: Counter[str] = Counter()
    tickets = store.list_tickets(limit=100_000)
    comments = 0
    for ticket in tickets:
        assert ticket.id is not None
        for comment in store.comments(ticket.id):
            comments += 1
            if comment.gmail_message_id:
                per_message[comment.gmail_message_id] += 1

    def outcome_of(item: Delivered) -> dict[str, Any]:
        entry = store.atomically(lambda uow: _ledger(uow, address, item.gmail_message_id))
        return {
            "file": item.file,
            "gmail_message_id": item.gmail_message_id,
            "outcome": entry.outcome.value if entry else "missing",
            "ticket_id": entry.ticket_id if entry else None,
        }

    return {
        "delivered": len(delivered),
        "tickets": len(tickets),
        "comments": comments - len(tickets),  # the first comment of a ticket is its description
        "suspended": counts.get(Outcome.SUSPENDED, 0),
        "ignored": counts.get(Outcome.IGNORED, 0),
        "quarantined": counts.get(Outcome.QUARANTINED, 0),
        "duplicates": sum(n - 1 for n in per_message.values() if n > 1),
        "files": [outcome_of(item) for item in delivered],
    }


def _ledger(uow: UnitOfWork, address: str, gmail_message_id: str) -> Any:
    return uow.get_ledger(address, gmail_message_id)


def wait_until_ingested(store: Store, address: str, ids: list[str], timeout: float, printer: TicketPrinter) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        printer.poll()
        if len(store.ledger_contains(address, ids)) == len(ids):
            printer.poll()
            return True
        time.sleep(0.2)
    return False


def main(args: argparse.Namespace) -> int:
    logs.configure("WARNING")
    if args.cloud:
        from devstack.demo_cloud import run_cloud

        return run_cloud(args)
    return run_embedded(args)


def run_embedded(args: argparse.Namespace) -> int:
    from devstack.embedded_stack import EmbeddedStack

    with tempfile.TemporaryDirectory(prefix="gmail-tickets-demo-") as state_dir, \
            EmbeddedStack(Path(state_dir), sweep_interval=args.sweep_interval) as stack:
        print(f"Gmail simulator at {stack.sim_url}; connected {SUPPORT_ADDRESS} (embedded: SQLite, in-process push)",
              file=sys.stderr)
        for brand in DEMO_BRANDS:  # several brands to pick from when connecting, as a real help desk has
            stack.store.save_brand(brand)
        if not args.once:
            serve_demo_console(stack, args.console_port)
        return deliver_and_report(args, stack.store, stack.deliver, stack.sim_url)


def _port_free(port: int) -> bool:
    """werkzeug exits the process on a taken port, so ask first."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def serve_demo_console(stack: Any, port: int) -> None:
    """The admin and agent console on localhost, signed in with an admin secret printed once."""
    from gmail_tickets.web import ensure_admin_secret, serve_console

    secret, created = ensure_admin_secret(stack.deps.secrets)
    port = port if _port_free(port) else 0  # taken: any free port will do for a demo
    url, _stop = serve_console(stack.deps, host="127.0.0.1", port=port, oauth=stack.console_oauth(),
                               relay_spf_include="_spf.relay.example")
    shown = secret if created else "(already set; see the secrets file)"
    print(f"console: {url}  — sign in with the admin secret: {shown}", file=sys.stderr)


def deliver_and_report(args: argparse.Namespace, store: Store, deliver: Any, sim_url: str) -> int:
    printer = TicketPrinter(store)
    delivered = [Delivered(path.name, deliver(path.read_bytes())) for path in mail_files(args.mail_dir)]
    print(f"delivered {len(delivered)} mails to {SUPPORT_ADDRESS}", file=sys.stderr)
    if args.once:
        done = wait_until_ingested(store, SUPPORT_ADDRESS, [d.gmail_message_id for d in delivered],
                                   args.timeout, printer)
        report = summary(store, SUPPORT_ADDRESS, delivered)
        print(json.dumps(report))
        return 0 if done and report["duplicates"] == 0 else 1
    print(f"watching for new mail. Send one:  curl --data-binary @some.eml "
          f"{sim_url}/sim/v1/mailboxes/{SUPPORT_ADDRESS}/deliver   (Ctrl-C stops)", file=sys.stderr)
    try:
        while True:
            printer.poll()
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
