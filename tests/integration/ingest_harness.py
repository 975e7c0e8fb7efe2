"""A product instance wired to the Gmail simulator over HTTP and to a given Store, for ingestion tests.

Nothing is faked: the real Gmail adapter talks to the simulator through google-api-python-client, tokens refresh
through google-auth, state goes to the real SQLite or Firestore (emulator) store. Faults are injected by wrapping
the real adapters (`CrashingMailbox`) or by the simulator's own fault injection.
"""

from __future__ import annotations

import itertools
import json
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from devstack.gmail_sim import GmailSimulator, SimServer, Verdicts
from gmail_tickets import bootstrap, secret_names
from gmail_tickets.adapters.gmail_retry import RetryPolicy
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.adapters.system_clock import SystemClock
from gmail_tickets.domain.model import Outcome
from gmail_tickets.ports import Mailbox, Store
from gmail_tickets.services.connect import connect_mailbox
from gmail_tickets.services.deps import Deps

FAST_RETRY = RetryPolicy(max_attempts=8, initial_delay=0.001, max_delay=0.01, jitter=0.001)
_counter = itertools.count(1)


class SimulatedCrash(BaseException):
    """Stands for the process dying: a BaseException, so no `except Exception` in the product swallows it."""


def customer_mail(subject: str | None = None, *, sender: str | None = None, reply_to: bytes | None = None,
                  to: str = "support@example.com") -> bytes:
    """A realistic inbound mail, each from its own customer unless `sender` is given (many mails from one sender
    would be a burst); with `reply_to` (the raw of an earlier mail) it answers that mail, from that mail's sender
    (only the people on a ticket can add to it)."""
    from email import message_from_bytes, policy

    n = next(_counter)
    original = message_from_bytes(reply_to, policy=policy.default) if reply_to is not None else None
    if original is not None and sender is None:
        sender = original["From"].addresses[0].addr_spec
    msg = EmailMessage()
    msg["From"] = f"Customer {n} <{sender or f'customer{n}@example.net'}>"
    msg["To"] = to
    msg["Date"] = format_datetime(SystemClock().now())
    msg["Message-ID"] = make_msgid(f"c{n}", "example.net")
    if original is not None:
        msg["Subject"] = "Re: " + str(original["Subject"])
        msg["In-Reply-To"] = str(original["Message-ID"])
        msg["References"] = str(original["Message-ID"])
    else:
        msg["Subject"] = subject or f"Request {n}"
    msg.set_content(f"Message body {n}.\n")
    return msg.as_bytes()


@dataclass(frozen=True)
class LaterClock:
    """Wall-clock time shifted forward: how a lease looks to a process that starts after it lapsed."""

    seconds: float

    def now(self) -> datetime:
        return SystemClock().now() + timedelta(seconds=self.seconds)


@dataclass
class CrashingMailbox:
    """The real Mailbox, with a crash injected once at a named point of the sync.

    after_fetch: messages fetched, nothing committed.  before_label: committed, not labelled.
    after_label: labelled, cursor not yet advanced."""

    inner: Mailbox
    point: str
    armed: bool = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _crash(self, point: str) -> None:
        if self.armed and self.point == point:
            self.armed = False
            raise SimulatedCrash(point)

    def get_raw(self, ids: Sequence[str]) -> Any:
        fetched = self.inner.get_raw(ids)
        self._crash("after_fetch")
        return fetched

    def modify_labels(self, ids: Sequence[str], add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        self._crash("before_label")
        self.inner.modify_labels(ids, add, remove)
        self._crash("after_label")


@dataclass
class IngestHarness:
    sim: GmailSimulator
    server: SimServer
    store: Store
    state_dir: Path
    mailboxes: tuple[str, ...] = ("support@example.com",)
    credentials: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for address in self.mailboxes:
            self.credentials[address] = self.sim.add_mailbox(address)
        self.deps = self.new_instance()
        for address in self.mailboxes:
            connect_mailbox(self.deps, address, self.credentials[address].refresh_token, watch=False)

    def new_instance(self) -> Deps:
        """Another process of the product (its own lease holder id and Gmail clients), on the same store."""
        first = self.credentials[self.mailboxes[0]]
        config = bootstrap.Config(
            secrets_file=str(self.state_dir / "secrets.json"),
            blobs_dir=str(self.state_dir / "blobs"),
            gmail_root_url=self.server.url,
            token_uri=self.server.url.rstrip("/") + "/token",
            oauth_client_id=first.client_id,
        )
        deps = bootstrap.build(config, store=self.store, publisher=LocalPublisher(), gmail_retry=FAST_RETRY)
        # The courtesy label at the end of every sync (production owes it until a batch is due), so a test can
        # assert it right after one; test_per_mail_cost.py measures the batched default.
        deps.settings = replace(deps.settings, label_delay_seconds=0)
        deps.secrets.put(secret_names.OAUTH_CLIENT_SECRET, first.client_secret)
        return deps

    def survivor(self) -> Deps:
        """Another instance, after a crashed one: its clock is past any lease the crashed process held."""
        deps = self.new_instance()
        deps.clock = LaterClock(deps.settings.lease_seconds + 1)
        return deps

    def deliver(self, raw: bytes, address: str | None = None, *, auth: Verdicts | None = None) -> str:
        """In-process delivery; `auth`: the verdicts Gmail stamps on the mail (none: no stamp)."""
        return self.sim.deliver(address or self.mailboxes[0], raw, auth=auth)

    def deliver_over_http(self, raw: bytes, address: str | None = None, **verdicts: str) -> str:
        """Delivery through the simulator's control API, verdicts as its query parameters (spf=, dkim=, dmarc=)."""
        query = urllib.parse.urlencode(verdicts)
        url = f"{self.server.url}/sim/v1/mailboxes/{address or self.mailboxes[0]}/deliver?{query}"
        with urllib.request.urlopen(urllib.request.Request(url, data=raw, method="POST")) as answer:
            return json.loads(answer.read())["id"]

    def deliver_requests(self, n: int, address: str | None = None, *, replies_every: int = 0) -> list[str]:
        """n mails; with replies_every=k every k-th mail answers the one before it (a comment, not a ticket)."""
        ids, previous = [], None
        for i in range(n):
            answering = previous if replies_every and i % replies_every == replies_every - 1 else None
            raw = customer_mail(reply_to=answering, to=address or self.mailboxes[0])
            ids.append(self.deliver(raw, address))
            previous = raw
        return ids

    def notification(self, address: str | None = None) -> bytes:
        """What Gmail would push now: the mailbox's current history id."""
        address = address or self.mailboxes[0]
        history_id = self.sim.profile(address)["historyId"]
        return json.dumps({"emailAddress": address, "historyId": str(history_id)}).encode()

    def with_mailbox_wrapper(self, wrap: Callable[[Mailbox], Mailbox]) -> Deps:
        deps = self.new_instance()
        provider = deps.mailbox_for
        wrapped: dict[str, Mailbox] = {}

        def mailbox_for(address: str) -> Mailbox:
            if address not in wrapped:
                wrapped[address] = wrap(provider(address))
            return wrapped[address]

        deps.mailbox_for = mailbox_for
        return deps

    def assert_exactly_once(self, address: str, gmail_ids: Sequence[str]) -> Counter[str]:
        """Every id has one ledger entry and exactly one ticket-or-comment; returns the outcome counts."""
        assert self.store.ledger_contains(address, gmail_ids) == set(gmail_ids), "a qualifying mail was lost"
        per_message: Counter[str] = Counter()
        for ticket in self.store.list_tickets(limit=100_000, connection=address):
            assert ticket.id is not None
            for comment in self.store.comments(ticket.id):
                if comment.gmail_message_id:
                    per_message[comment.gmail_message_id] += 1
        duplicated = {m: n for m, n in per_message.items() if n > 1}
        assert not duplicated, f"mails recorded more than once: {duplicated}"
        assert set(gmail_ids) <= set(per_message), "a ledger entry without its ticket or comment"
        counts = self.store.ledger_counts(address)
        return Counter({o.value: n for o, n in counts.items() if n})

    def outcome_counts(self, address: str | None = None) -> dict[Outcome, int]:
        return self.store.ledger_counts(address or self.mailboxes[0])
