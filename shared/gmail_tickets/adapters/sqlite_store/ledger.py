"""LedgerRepo on SQLite. The ledger doubles as the thread index (partial indexes on thread_id and
rfc_message_id over rows with a ticket), keeping a new ticket at 3 row writes; `sender` and `created_at` are
columns too, for burst counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from gmail_tickets.adapters import records
from gmail_tickets.adapters.sqlite_store.tx import SqliteRepo, SqliteTx, chunks, doc_text, marks, record_of
from gmail_tickets.domain.model import LedgerEntry, Outcome
from gmail_tickets.domain.org_domain import organization_of, organizational_domain
from gmail_tickets.errors import AlreadyRecorded

RECENT_MAIL_COUNT_SQL = "SELECT COUNT(*) FROM ledger WHERE sender = ? AND created_at >= ?"
"""Public so a test can check that the ledger_by_sender index serves it."""
RECENT_DOMAIN_MAIL_COUNT_SQL = "SELECT COUNT(*) FROM ledger WHERE sender_domain = ? AND created_at >= ?"
"""Served by ledger_by_sender_domain (migration 7)."""


def _sender(sender: str | None) -> str | None:
    """Senders are kept lower-cased, so counting them is an exact match that an index serves."""
    return None if sender is None else sender.lower()


class LedgerTx(SqliteTx):
    def get_ledger(self, connection: str, gmail_message_id: str) -> LedgerEntry | None:
        row = self._one(
            "SELECT doc FROM ledger WHERE connection = ? AND gmail_message_id = ?", (connection, gmail_message_id)
        )
        return None if row is None else record_of(LedgerEntry, row)

    def ticket_for_thread(self, connection: str, thread_id: str) -> int | None:
        # The latest entry wins: a thread whose ticket was followed up by a new one belongs to the new one.
        row = self._one(
            "SELECT ticket_id FROM ledger WHERE connection = ? AND thread_id = ? AND thread_id IS NOT NULL "
            "AND ticket_id IS NOT NULL ORDER BY rowid DESC LIMIT 1",
            (connection, thread_id),
        )
        return None if row is None else int(row[0])

    def ticket_for_message_ids(self, message_ids: Sequence[str]) -> int | None:
        ids = list(dict.fromkeys(message_ids))
        found: dict[str, int] = {}
        for chunk in chunks(ids):
            rows = self._db.execute(
                f"SELECT rfc_message_id, ticket_id FROM ledger WHERE rfc_message_id IN ({marks(len(chunk))}) "
                "AND rfc_message_id IS NOT NULL AND ticket_id IS NOT NULL ORDER BY rowid",
                tuple(chunk),
            ).fetchall()
            for rfc_id, ticket_id in rows:
                found.setdefault(rfc_id, int(ticket_id))
        return next((found[i] for i in ids if i in found), None)

    def recorded_with_message_id(self, message_id: str) -> list[LedgerEntry]:
        # Served by the partial index on rfc_message_id over rows with a ticket.
        rows = self._db.execute(
            "SELECT doc FROM ledger WHERE rfc_message_id = ? AND rfc_message_id IS NOT NULL "
            "AND ticket_id IS NOT NULL ORDER BY rowid",
            (message_id,),
        ).fetchall()
        return [record_of(LedgerEntry, row) for row in rows]

    def add_ledger(self, entry: LedgerEntry, *, thread_id: str | None = None) -> None:
        entry = replace(entry, sender=_sender(entry.sender))
        columns: dict[str, Any] = {
            "connection": entry.connection, "gmail_message_id": entry.gmail_message_id, "outcome": str(entry.outcome),
            "ticket_id": entry.ticket_id, "rfc_message_id": entry.rfc_message_id, "thread_id": thread_id,
            "created_at": records.ts(entry.created_at), "sender": entry.sender,
            "sender_domain": organization_of(entry.sender) or None, "doc": doc_text(entry),
        }
        cur = self._write(
            f"INSERT INTO ledger ({', '.join(columns)}) VALUES ({marks(len(columns))}) ON CONFLICT DO NOTHING",
            tuple(columns.values()),
        )
        if cur.rowcount == 0:
            raise AlreadyRecorded(f"ledger {entry.connection}:{entry.gmail_message_id}")


    def replace_ledger(self, entry: LedgerEntry, *, thread_id: str | None = None) -> None:
        # Deleted and added again: a new rowid makes it its thread's latest entry, as a new seq does on Firestore.
        self._write("DELETE FROM ledger WHERE connection = ? AND gmail_message_id = ?",
                    (entry.connection, entry.gmail_message_id))
        self.add_ledger(entry, thread_id=thread_id)


class LedgerRepo(SqliteRepo):
    def ledger_contains(self, connection: str, gmail_message_ids: Sequence[str]) -> set[str]:
        ids = list(dict.fromkeys(gmail_message_ids))
        found: set[str] = set()
        for chunk in chunks(ids):
            rows = self._read(
                "SELECT gmail_message_id FROM ledger WHERE connection = ? "
                f"AND gmail_message_id IN ({marks(len(chunk))})",
                (connection, *chunk),
            )
            found.update(r[0] for r in rows)
        return found

    def ledger_counts(self, connection: str | None = None) -> dict[Outcome, int]:
        """Every outcome is a key, zero included, so callers need no defaults."""
        if connection is None:
            rows = self._read("SELECT outcome, COUNT(*) FROM ledger GROUP BY outcome")
        else:
            rows = self._read(
                "SELECT outcome, COUNT(*) FROM ledger WHERE connection = ? GROUP BY outcome", (connection,)
            )
        counts = dict.fromkeys(Outcome, 0)
        for outcome, n in rows:
            counts[Outcome(outcome)] = int(n)
        return counts

    def recent_mail_count(self, sender: str, since: datetime) -> int:
        """One range scan of ledger_by_sender (text order of the fixed-width timestamps is time order)."""
        return int(self._read(RECENT_MAIL_COUNT_SQL, (_sender(sender), records.ts(since)))[0][0])

    def recent_domain_mail_count(self, domain: str, since: datetime) -> int:
        """One range scan of ledger_by_sender_domain: mail from any sender of the organization of `domain`."""
        org = organizational_domain(domain)
        return int(self._read(RECENT_DOMAIN_MAIL_COUNT_SQL, (org, records.ts(since)))[0][0]) if org else 0
