"""`gmail-tickets demo`: the whole product on one machine, with the Gmail simulator standing in for Google.

Embedded (default): SQLite, a secrets file, the in-process publisher, the sweep timer, and the simulator pushing
notifications straight into the publisher. `--cloud`: the same flow through Google's Firestore and Pub/Sub
emulators, with Pub/Sub push subscriptions delivering to `ingest` and `send` served by functions-framework.

Each new ticket owes its requester an acknowledgement. It leaves through the simulated Gmail account, or through a
real SMTP relay on localhost (devstack/relay_server.py) once Gmail may not send it: `--send-limit N` lowers the
simulated account's own daily limit (Gmail's, while the product keeps its own: 2,000 for support@example.com, a
Workspace address), so Gmail's limit error, the switch to the relay and the console's warning all show. With
`--once` the JSON line counts what each route really carried: distinct Message-IDs in the account's SENT folder
and at the relay, and any copy beyond one as a duplicate.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.gmail_sim import GmailSimulator
from devstack.gmail_sim.stamp import Verdicts
from devstack.relay_server import RelayServer
from gmail_tickets import bootstrap, logs
from gmail_tickets.domain.model import Brand, Outcome
from gmail_tickets.domain.outbox import Notification, NotificationState
from gmail_tickets.ports import Store, UnitOfWork
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.mailbox_health import health

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


PENDING = (NotificationState.QUEUED, NotificationState.SENDING)


def _describe(n: Notification) -> str:
    what = "acknowledgement" if n.event == "created" else "reply"
    return f"#{n.ticket_id} {what} to {', '.join(n.recipients)}"


@dataclass
class OutboxPrinter:
    """Prints each notification once, when it settles (route and the reason for it), and each new warning the
    console would show for an account (e.g. "Send limit reached, relay in use")."""

    deps: Deps
    out: Any = sys.stderr
    seen: set[str] = field(default_factory=set)
    warned: set[tuple[str, str]] = field(default_factory=set)

    def poll(self) -> None:
        for n in reversed(self.deps.store.list_notifications(limit=1000)):
            if not n.is_settled or n.id in self.seen:
                continue
            self.seen.add(n.id)
            if n.state == NotificationState.SENT:
                print(f"sent via {n.route}  {_describe(n)}  ({n.route_reason})", file=self.out)
            else:
                print(f"FAILED ({n.route})  {_describe(n)}  ({n.last_error})", file=self.out)
        for row in health(self.deps):
            for warning in row.warnings:
                if (row.address, warning) not in self.warned:
                    self.warned.add((row.address, warning))
                    print(f"warning  {row.address}: {warning}", file=self.out)
        self.out.flush()


def _message_id(value: str | None) -> str | None:
    """Message-IDs compared without angle brackets, as the store keeps them."""
    return (value or "").strip().strip("<>").strip() or None


@dataclass
class Outbound:
    """Where the demo's outbound mail can be seen: the support account's SENT folder (read from the simulator)
    and the relay's own record of what it received."""

    sim: GmailSimulator
    relay: RelayServer
    address: str = SUPPORT_ADDRESS

    def via_gmail(self) -> Counter[str]:
        """Copies per Message-ID in the account's SENT folder."""
        ids = (_message_id(m["messageId"]) for m in self.sim.messages(self.address) if "SENT" in m["labelIds"])
        return Counter(i for i in ids if i)

    def via_relay(self) -> Counter[str]:
        return self.relay.message_ids()


def notification_summary(store: Store, outbound: Outbound) -> dict[str, int]:
    """What each route carried, counted where the mail landed; the states from the store. A mail sent twice, or
    once on each route, counts in `duplicates`."""
    records = store.list_notifications(limit=100_000)
    ours = {_message_id(n.message_id) for n in records}
    gmail = {m: c for m, c in outbound.via_gmail().items() if m in ours}
    relay = {m: c for m, c in outbound.via_relay().items() if m in ours}
    return {
        "total": len(records),
        "via_gmail": len(gmail),
        "via_relay": len(relay),
        "failed": sum(n.state == NotificationState.FAILED for n in records),
        "skipped": sum(n.state == NotificationState.SKIPPED for n in records),  # held back on purpose, with a reason
        "duplicates": sum(gmail.values()) + sum(relay.values()) - len(gmail.keys() | relay.keys()),
        "queued": sum(n.state in PENDING for n in records),
        "retrying": sum(n.state == NotificationState.RETRYING for n in records),
    }


def wait_until_settled(store: Store, deadline: float, printer: OutboxPrinter) -> bool:
    """Until no notification is queued or being sent (every record is created with its ticket, so after ingest
    the set is complete)."""
    while time.monotonic() < deadline:
        printer.poll()
        if not store.list_notifications(states=PENDING, limit=1):
            printer.poll()
            return True
        time.sleep(0.2)
    return False


SAMPLE_VERDICTS = Verdicts(spf="pass", dkim=(("pass", None),), dmarc="pass")


def mail_files(mail_dir: str | None) -> list[Path]:
    files = sorted(SAMPLE_DIR.glob("*.eml"))
    if mail_dir:
        files += sorted(Path(mail_dir).glob("*.eml"))
    return files


def verdicts_for(path: Path) -> Verdicts | None:
    """The sample mail comes from domains that sign their mail, so Gmail vouches for its senders (real Gmail
    stamps every mail it receives). Mail from --mail-dir is delivered byte for byte, stamp and all, as given."""
    return SAMPLE_VERDICTS if path.parent == SAMPLE_DIR else None


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


def wait_until_ingested(store: Store, address: str, ids: list[str], deadline: float, printer: TicketPrinter) -> bool:
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


@contextlib.contextmanager
def _state_dir(kept: str | None) -> Iterator[Path]:
    """The demo's state: a temporary folder, or `--state-dir` (kept afterwards, to look at or check)."""
    if kept:
        yield bootstrap.state_folder(Path(kept))  # 0700 before anything (the relay's folder) is made in it
        return
    with tempfile.TemporaryDirectory(prefix="gmail-tickets-demo-") as state_dir:
        yield Path(state_dir)


def run_embedded(args: argparse.Namespace) -> int:
    from devstack.embedded_stack import EmbeddedStack

    with _state_dir(getattr(args, "state_dir", None)) as state_dir, \
            EmbeddedStack(state_dir, sweep_interval=args.sweep_interval, send_limit=args.send_limit) as stack:
        assert stack.deps is not None and stack.relay is not None
        print(f"Gmail simulator at {stack.sim_url}; connected {SUPPORT_ADDRESS} (embedded: SQLite, in-process push)",
              file=sys.stderr)
        print(relay_line(stack.relay, stack.sim.mailbox_info(SUPPORT_ADDRESS)["sendLimit"]), file=sys.stderr)
        for brand in DEMO_BRANDS:  # several brands to pick from when connecting, as a real help desk has
            stack.store.save_brand(brand)
        if not args.once:
            serve_demo_console(stack, args.console_port)
        return deliver_and_report(args, stack.deps, Outbound(stack.sim, stack.relay), stack.sim_url)


def relay_line(relay: RelayServer, gmail_limit: int) -> str:
    return (f"SMTP relay at {relay.address} (STARTTLS + AUTH as {relay.username}; certificate {relay.ca_file}); "
            f"the simulated Gmail account sends to {gmail_limit} recipients a day, then the relay takes over")


def _port_free(port: int) -> bool:
    """werkzeug exits the process on a taken port, so ask first."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def serve_demo_console(stack: Any, port: int) -> None:
    """The admin and agent console on localhost; until the first admin account exists, the admin secret (printed
    once) and a one-time setup link that makes that account."""
    port = port if _port_free(port) else 0  # taken: any free port will do for a demo
    console = stack.serve_console(port=port)
    for line in console.banner("(already set; see the secrets file)"):
        print(line, file=sys.stderr)


def deliver_and_report(args: argparse.Namespace, deps: Deps, outbound: Outbound, sim_url: str) -> int:
    """Deliver the sample mail; with --once wait for its tickets and their notifications, print the JSON line,
    and fail on a duplicate (ticket or mail), a failed notification or a timeout. Otherwise watch until Ctrl-C."""
    store = deps.store
    printer, outbox = TicketPrinter(store), OutboxPrinter(deps)
    delivered = [Delivered(path.name, outbound.sim.deliver(SUPPORT_ADDRESS, path.read_bytes(), auth=verdicts_for(path)))
                 for path in mail_files(args.mail_dir)]
    print(f"delivered {len(delivered)} mails to {SUPPORT_ADDRESS}", file=sys.stderr)
    if args.once:
        deadline = time.monotonic() + args.timeout
        done = wait_until_ingested(store, SUPPORT_ADDRESS, [d.gmail_message_id for d in delivered], deadline,
                                   printer)
        settled = done and wait_until_settled(store, deadline, outbox)
        report = summary(store, SUPPORT_ADDRESS, delivered)
        report["notifications"] = sent = notification_summary(store, outbound)
        print(json.dumps(report))
        if not settled:
            print(f"gave up after {args.timeout:g} s: not everything was ingested and sent", file=sys.stderr)
        delivered_all = sent["failed"] == 0 and sent["retrying"] == 0  # retrying: the relay is down (for now)
        return 0 if settled and report["duplicates"] == 0 and sent["duplicates"] == 0 and delivered_all else 1
    print(f"watching for new mail. Send one:  curl --data-binary @some.eml "
          f"{sim_url}/sim/v1/mailboxes/{SUPPORT_ADDRESS}/deliver   (Ctrl-C stops)", file=sys.stderr)
    try:
        while True:
            printer.poll()
            outbox.poll()
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
