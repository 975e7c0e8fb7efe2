"""The product's send path wired to real peers: the Gmail simulator over HTTP (google-api-python-client) and a real
SMTP relay (devstack.relay_server: aiosmtpd with STARTTLS and AUTH), on a real Store.

Faults are injected the way the ingest tests do: by wrapping the real Mailbox (`CrashingSender`), by the
simulator's own fault injection and send limit, by stopping the relay, and by clocks moved past a lease.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from devstack.gmail_sim import GmailSimulator, SimServer
from devstack.relay_server import RelayServer
from gmail_tickets import secret_names
from gmail_tickets.adapters.smtp_relay import SmtpRelay
from gmail_tickets.domain.outbox import Notification
from gmail_tickets.ports import Mailbox, SentMessage, Store
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.sync_mailbox import sync_mailbox
from tests.integration.ingest_harness import IngestHarness, SimulatedCrash, customer_mail

SUPPORT = "support@example.com"


@dataclass
class ShiftedClock:
    """Wall-clock time moved by `offset`; tests move it to cross a lease or the 24 h window."""

    offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class CrashingSender:
    """The real Mailbox; its next send dies (a BaseException, like the process dying) before or after Gmail
    accepted the mail."""

    inner: Mailbox
    after_gmail_accepted: bool
    armed: bool = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def send(self, raw: bytes, thread_id: str | None = None) -> SentMessage:
        if self.armed and not self.after_gmail_accepted:
            self.armed = False
            raise SimulatedCrash("before Gmail accepted the mail")
        sent = self.inner.send(raw, thread_id=thread_id)
        if self.armed:
            self.armed = False
            raise SimulatedCrash("after Gmail accepted the mail")
        return sent


class SendHarness(IngestHarness):
    """IngestHarness plus a running relay; every instance it makes sends through both."""

    def __init__(self, sim: GmailSimulator, server: SimServer, store: Store, state_dir: Path,
                 relay: RelayServer) -> None:
        self.relay = relay
        self.clock = ShiftedClock()
        super().__init__(sim, server, store, state_dir)

    def new_instance(self) -> Deps:
        deps = super().new_instance()
        deps.secrets.put(secret_names.RELAY_PASSWORD, self.relay.password)
        deps.relay = SmtpRelay(self.relay.host, self.relay.port, username=self.relay.username,
                               password=lambda: deps.secrets.get(secret_names.RELAY_PASSWORD),
                               ssl_context=self.relay.client_context(), timeout=5.0)
        deps.clock = self.clock
        return deps

    # -- making notifications

    def new_ticket(self, subject: str | None = None, *, cc: Sequence[str] = ()) -> tuple[int, bytes]:
        """A customer mail ingested into a new ticket (which queues its acknowledgement)."""
        raw = customer_mail(subject)
        if cc:
            msg = message_from_bytes(raw, policy=policy.default)
            assert isinstance(msg, EmailMessage)
            msg["Cc"] = ", ".join(cc)
            raw = msg.as_bytes()
        gmail_id = self.deliver(raw)
        sync_mailbox(self.deps, SUPPORT)
        entry = self.store.atomically(lambda uow: uow.get_ledger(SUPPORT, gmail_id))
        assert entry is not None and entry.ticket_id is not None, "the mail did not become a ticket"
        return entry.ticket_id, raw

    def pending(self, ticket_id: int | None = None) -> list[Notification]:
        return self.store.list_notifications(ticket_id=ticket_id)

    def only_notification(self, ticket_id: int) -> Notification:
        found = self.pending(ticket_id)
        assert len(found) == 1, f"expected one notification for ticket {ticket_id}, found {found}"
        return found[0]

    # -- what went out

    def sent_copies(self) -> Counter[str]:
        """Copies of each Message-ID in the support mailbox's SENT folder."""
        copies: Counter[str] = Counter()
        for summary in self.sim.messages(SUPPORT, "in:sent"):
            headers = {h["name"].lower(): h["value"] for h in self.sim.message(SUPPORT, summary["id"])["headers"]}
            copies[headers.get("message-id", "").strip().strip("<>")] += 1
        return copies

    def sent_message(self, message_id: str) -> EmailMessage:
        for summary in self.sim.messages(SUPPORT, f"rfc822msgid:{message_id}"):
            msg = message_from_bytes(self.sim.raw_message(SUPPORT, summary["id"]), policy=policy.default)
            assert isinstance(msg, EmailMessage)
            return msg
        raise AssertionError(f"{message_id} is not in the support mailbox")

    def sent_summary(self, message_id: str) -> dict[str, Any]:
        found = self.sim.messages(SUPPORT, f"rfc822msgid:{message_id}")
        assert len(found) == 1
        return found[0]

    def relay_copies(self) -> Counter[str]:
        return self.relay.message_ids()
