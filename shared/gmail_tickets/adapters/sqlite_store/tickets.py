"""TicketRepo on SQLite: tickets (id assigned by AUTOINCREMENT, so ids only grow) and their comments (`seq`
keeps insertion order, the tie-breaker between comments with the same created_at)."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime

from gmail_tickets.adapters import records
from gmail_tickets.adapters.sqlite_store.migration_8 import MENTIONS_EXPR
from gmail_tickets.adapters.sqlite_store.migration_11 import SOLVED_AT_EXPR
from gmail_tickets.adapters.sqlite_store.search_index import ticket_words, write_comment_row, write_ticket_row
from gmail_tickets.adapters.sqlite_store.tx import SqliteRepo, SqliteTx, doc_text, record_of
from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.ticket_fields import TicketStatus

SOLVED_DUE_SQL = (f"SELECT id, doc FROM tickets WHERE {SOLVED_AT_EXPR} IS NOT NULL AND {SOLVED_AT_EXPR} <= ? "
                  f"ORDER BY {SOLVED_AT_EXPR}, id LIMIT ?")


def ticket_of(row: sqlite3.Row) -> Ticket:
    """The id is the row's: a ticket's doc is written before its id is known."""
    return record_of(Ticket, row, id=row["id"])


class TicketsTx(SqliteTx):
    def get_ticket(self, ticket_id: int) -> Ticket | None:
        row = self._one("SELECT id, doc FROM tickets WHERE id = ?", (ticket_id,))
        return None if row is None else ticket_of(row)

    def add_ticket(self, ticket: Ticket, description: Comment | None = None) -> int:
        cur = self._write("INSERT INTO tickets (connection, doc) VALUES (?, ?)",
                          (ticket.connection, doc_text(ticket, leave_out=("id",))))
        ticket.id = int(cur.lastrowid)  # type: ignore[arg-type]  # set by a successful INSERT
        self.touched_tickets.add(ticket.id)
        self.created_tickets.add(ticket.id)
        write_ticket_row(self._db, ticket.id, ticket_words(ticket), new=True)
        if description is not None:
            description.ticket_id = ticket.id
            self.add_comment(description)
        return ticket.id

    def put_ticket(self, ticket: Ticket) -> None:
        # An UPDATE, never an upsert: a missing ticket is the caller's mistake, not a ticket to create.
        if ticket.id is None:
            raise ValueError("put_ticket needs a stored ticket (its id is None)")
        cur = self._write(
            "UPDATE tickets SET connection = ?, doc = ? WHERE id = ?",
            (ticket.connection, doc_text(ticket, leave_out=("id",)), ticket.id),
        )
        if cur.rowcount == 0:
            raise KeyError(f"ticket {ticket.id}")
        self.touched_tickets.add(ticket.id)
        write_ticket_row(self._db, ticket.id, ticket_words(ticket))

    def add_comment(self, comment: Comment) -> str:
        comment.id = uuid.uuid4().hex
        cur = self._write(
            "INSERT INTO comments (id, ticket_id, created_at, doc) VALUES (?, ?, ?, ?)",
            (comment.id, comment.ticket_id, records.ts(comment.created_at), doc_text(comment)),
        )
        self.touched_tickets.add(comment.ticket_id)
        write_comment_row(self._db, int(cur.lastrowid), comment.ticket_id, comment.body_text)  # type: ignore[arg-type]
        return comment.id


class TicketsRepo(SqliteRepo):
    def get_ticket(self, ticket_id: int) -> Ticket | None:
        rows = self._read("SELECT id, doc FROM tickets WHERE id = ?", (ticket_id,))
        return ticket_of(rows[0]) if rows else None

    def list_tickets(self, *, limit: int = 50, connection: str | None = None) -> list[Ticket]:
        """Newest first: ids only grow, so the highest id is the newest ticket."""
        if connection is None:
            rows = self._read("SELECT id, doc FROM tickets ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self._read(
                "SELECT id, doc FROM tickets WHERE connection = ? ORDER BY id DESC LIMIT ?", (connection, limit)
            )
        return [ticket_of(r) for r in rows]

    def tickets_mentioning(self, ticket_id: int, *, limit: int = 20) -> list[int]:
        """Served by tickets_by_mentions (migration 8): the query names the indexed expression."""
        rows = self._read(f"SELECT id FROM tickets WHERE {MENTIONS_EXPR} = ? ORDER BY id LIMIT ?", (ticket_id, limit))
        return [int(r["id"]) for r in rows]

    def solved_before(self, before: datetime, *, limit: int) -> list[Ticket]:
        """Served by tickets_solved_due (migration 11), which holds the solved tickets alone."""
        rows = self._read(SOLVED_DUE_SQL, (records.ts(before), limit))
        return [t for t in map(ticket_of, rows) if t.status == TicketStatus.SOLVED]

    def comments(self, ticket_id: int) -> list[Comment]:
        return self._records(Comment, "SELECT doc FROM comments WHERE ticket_id = ? ORDER BY created_at, seq",
                             (ticket_id,))
