"""Keeping migration 13's `ticket_search` rows in step: written by tickets.py in the transaction that writes the
ticket or comment, with text in search_text's normal form."""

from __future__ import annotations

import sqlite3

from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.search_text import index_text


def ticket_words(ticket: Ticket) -> str:
    """A ticket's own searchable text: subject, requester name and address."""
    return index_text(f"{ticket.subject} {ticket.requester_name} {ticket.requester}")


def register_functions(db: sqlite3.Connection) -> None:
    """What migration 13's back-fill calls, so old rows get the same normal form as new ones."""
    db.create_function("search_index_text", 1, lambda text: index_text(text or ""), deterministic=True)


def write_ticket_row(db: sqlite3.Connection, ticket_id: int, words: str, *, new: bool = False) -> None:
    """Insert or replace the ticket's own row (rowid -id); a `new` ticket has none to replace (AUTOINCREMENT
    never hands out an id twice), so one statement. Index rows are not counted as writes, like SQLite's other
    indexes: `write_count` counts records."""
    if not new:
        db.execute("DELETE FROM ticket_search WHERE rowid = ?", (-ticket_id,))
    db.execute("INSERT INTO ticket_search (rowid, words, ticket_id) VALUES (?, ?, ?)", (-ticket_id, words, ticket_id))


def write_comment_row(db: sqlite3.Connection, seq: int, ticket_id: int, body_text: str) -> None:
    db.execute("INSERT INTO ticket_search (rowid, words, ticket_id) VALUES (?, ?, ?)",
               (seq, index_text(body_text), ticket_id))


