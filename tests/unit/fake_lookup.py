"""A ThreadLookup / IngestLookup over plain dicts, for the decision's unit tests; it notes what was read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gmail_tickets.domain.model import LedgerEntry, Ticket


@dataclass
class FakeLookup:
    by_message_id: dict[str, int] = field(default_factory=dict)
    by_thread: dict[str, int] = field(default_factory=dict)
    signed: dict[str, int] = field(default_factory=dict)  # our signed Message-IDs -> the ticket they name
    tickets: dict[int, Ticket] = field(default_factory=dict)
    recorded: bool = False
    stored: dict[str, list[LedgerEntry]] = field(default_factory=dict)  # RFC Message-ID -> entries with a ticket
    reads: list[str] = field(default_factory=list)

    def already_recorded(self) -> bool:
        self.reads.append("ledger")
        return self.recorded

    def ticket_for_message_ids(self, message_ids: Sequence[str]) -> int | None:
        self.reads.append("message_ids")
        return next((self.by_message_id[m] for m in message_ids if m in self.by_message_id), None)

    def recorded_with_message_id(self, message_id: str) -> list[LedgerEntry]:
        self.reads.append("same message id")
        return self.stored.get(message_id, [])

    def ticket_for_gmail_thread(self, thread_id: str) -> int | None:
        self.reads.append("thread")
        return self.by_thread.get(thread_id)

    def signed_ticket(self, message_id: str) -> int | None:
        return self.signed.get(message_id)

    def ticket(self, ticket_id: int) -> Ticket | None:
        self.reads.append(f"ticket {ticket_id}")
        return self.tickets.get(ticket_id)


def ticket(ticket_id: int, requester: str = "ann@customer.example", followers: Sequence[str] = (),
           **fields: Any) -> Ticket:
    return Ticket(subject="Printer", requester=requester, connection="help@ours.example",
                  followers=list(followers), id=ticket_id, **fields)
