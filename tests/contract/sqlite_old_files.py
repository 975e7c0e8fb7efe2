"""Writing a SQLite file as an older release left it: the migrations up to `version`, then rows as that release
wrote them. The migration tests upgrade such a file by opening it with today's SqliteStore."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from gmail_tickets.adapters.sqlite_store.schema import MIGRATIONS, _statements

TicketRow = tuple[int, str, str]  # id, connection, doc (JSON)
CommentRow = tuple[str, int, str, str]  # id, ticket id, created_at, doc (JSON)


def write_old_file(path: Path, version: int, tickets: Iterable[TicketRow], comments: Iterable[CommentRow]) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN")
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for script in MIGRATIONS[:version]:
            for statement in _statements(script):
                db.execute(statement)
        db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        db.executemany("INSERT INTO tickets (id, connection, doc) VALUES (?, ?, ?)", list(tickets))
        db.executemany("INSERT INTO comments (id, ticket_id, created_at, doc) VALUES (?, ?, ?, ?)", list(comments))
        db.execute("COMMIT")
    finally:
        db.close()
