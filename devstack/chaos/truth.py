"""Ground truth: every delivered mail accounted for once, every acknowledgement delivered once.

Mail: each Gmail message the harness delivered (per mailbox) must have a ledger entry and exactly one visible record
in the product: a ticket's description or a comment (its Gmail id on the comment), a suspended record or a
quarantine record. Acknowledgements: each outbox record the product decided to send (all but `skipped`) must be
found exactly once across the simulated accounts' SENT folders and the relay's deliveries, matched by Message-ID.
A second copy is EXPLAINED when the record itself says it was sent again after an interrupted relay hand-over (the
product's at-least-once moment, domain/delivery.py: one more copy at most per resend, with the same Message-ID, which
receivers collapse); any other extra copy is an unexplained duplicate, which the bar forbids.
The counting is pure (`account_mail`, `account_acks`); `read_*` gather the inputs from the store and the world.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from devstack.chaos.stack import World
from gmail_tickets.domain.outbox import NotificationState
from gmail_tickets.services.deps import Deps

EVERYTHING = 1_000_000  # a listing limit above any soak's size
Key = tuple[str, str]  # (mailbox, Gmail message id)


@dataclass
class MailCount:
    delivered: int = 0
    accounted: int = 0
    missing: list[Key] = field(default_factory=list)
    duplicated: list[Key] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {"delivered": self.delivered, "accounted": self.accounted, "missing": len(self.missing),
                "duplicated": len(self.duplicated), "outcomes": dict(self.outcomes),
                "missing_examples": [list(k) for k in self.missing[:5]],
                "duplicated_examples": [list(k) for k in self.duplicated[:5]]}


@dataclass
class AckCount:
    decided: int = 0  # outbox records not skipped
    skipped: int = 0
    delivered_once: int = 0
    missing: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)  # unexplained: more copies than the record accounts for
    explained: list[str] = field(default_factory=list)  # extra copies the record's resends after interruption explain
    resent: int = 0  # records sent again after an interrupted relay hand-over (whether or not a copy was extra)
    states: Counter[str] = field(default_factory=Counter)
    via: Counter[str] = field(default_factory=Counter)  # where the copies were found: gmail, relay
    strays: int = 0  # copies of no record (or of a skipped one)
    failures: Counter[str] = field(default_factory=Counter)  # why records failed (their last error), by reason

    def to_json(self) -> dict[str, Any]:
        return {"decided": self.decided, "skipped": self.skipped, "delivered_once": self.delivered_once,
                "missing": len(self.missing), "duplicated": len(self.duplicated),
                "explained_duplicates": len(self.explained), "resent_after_interruption": self.resent,
                "states": dict(self.states),
                "via": dict(self.via), "strays": self.strays, "failures": dict(self.failures.most_common(5)),
                "missing_examples": self.missing[:5],
                "duplicated_examples": self.duplicated[:5], "explained_examples": self.explained[:5]}


def account_mail(delivered: Iterable[Key], ledger: dict[Key, str], records: Counter[Key]) -> MailCount:
    """`ledger`: the outcome of each ledger entry; `records`: how many visible records name each mail."""
    count = MailCount()
    for key in delivered:
        count.delivered += 1
        found = records.get(key, 0)
        if key not in ledger or found == 0:
            count.missing.append(key)
        elif found > 1:
            count.duplicated.append(key)
        else:
            count.accounted += 1
            count.outcomes[ledger[key]] += 1
    return count


def account_acks(records: Iterable[tuple[str, str, int]], gmail: Counter[str], relay: Counter[str]) -> AckCount:
    """`records`: (Message-ID, state, resends after interruption) of every outbox record; `gmail`/`relay`: copies
    found per Message-ID."""
    count = AckCount()
    expected: set[str] = set()
    for message_id, state, resent in records:
        count.states[state] += 1
        count.resent += bool(resent)
        if state == NotificationState.SKIPPED:
            count.skipped += 1
            continue
        count.decided += 1
        expected.add(message_id)
        copies = gmail.get(message_id, 0) + relay.get(message_id, 0)
        if copies == 0:
            count.missing.append(message_id)
        elif copies == 1:
            count.delivered_once += 1
        elif copies - 1 <= resent:
            count.explained.append(message_id)
        else:
            count.duplicated.append(message_id)
    for route, found in (("gmail", gmail), ("relay", relay)):
        count.via[route] = sum(n for mid, n in found.items() if mid in expected)
        count.strays += sum(n for mid, n in found.items() if mid not in expected)
    return count


def bare(message_id: str | None) -> str:
    return (message_id or "").strip().strip("<>").strip()


def read_mail(deps: Deps, delivered: Iterable[Key]) -> MailCount:
    store = deps.store
    keys = list(delivered)
    ledger: dict[Key, str] = {}
    for mailbox, gmail_id in keys:
        entry = store.atomically(lambda uow, m=mailbox, g=gmail_id: uow.get_ledger(m, g))
        if entry is not None:
            ledger[(mailbox, gmail_id)] = str(entry.outcome)
    records: Counter[Key] = Counter()
    for ticket in store.list_tickets(limit=EVERYTHING):
        for comment in store.comments(int(ticket.id or 0)):
            if comment.gmail_message_id:
                records[(comment.connection, comment.gmail_message_id)] += 1
    for suspended in store.list_suspended(limit=EVERYTHING):
        records[(suspended.connection, suspended.gmail_message_id)] += 1
    for quarantined in store.list_quarantine(limit=EVERYTHING):
        if quarantined.gmail_message_id and quarantined.connection:
            records[(quarantined.connection, quarantined.gmail_message_id)] += 1
    return account_mail(keys, ledger, records)


def read_acks(deps: Deps, world: World) -> AckCount:
    notifications = deps.store.list_notifications(limit=EVERYTHING)
    records = [(bare(n.message_id), str(n.state), n.resent_after_interruption) for n in notifications]
    gmail: Counter[str] = Counter()
    for mailbox in world.mailboxes:
        for message in world.sim.messages(mailbox, "in:sent"):
            gmail[bare(message.get("messageId"))] += 1
    relay = Counter({bare(mid): n for mid, n in world.relay.message_ids().items()})
    count = account_acks(records, gmail, relay)
    count.failures.update((n.last_error or "no reason")[:200] for n in notifications
                          if n.state == NotificationState.FAILED)
    return count


def recorded_per_mailbox(deps: Deps, mailboxes: Iterable[str]) -> dict[str, int]:
    """Ledger entries per mailbox: what the progress line and the stall monitor watch grow."""
    return {m: sum(deps.store.ledger_counts(m).values()) for m in mailboxes}


def unsettled_acks(deps: Deps) -> int:
    """Outbox records still on their way (queued, being sent, waiting to retry)."""
    waiting = (NotificationState.QUEUED, NotificationState.SENDING, NotificationState.RETRYING)
    return len(deps.store.list_notifications(states=waiting, limit=EVERYTHING))
