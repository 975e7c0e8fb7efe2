"""SQLite only: a file written before full-text search (schema version 11) gets its tickets and comments indexed
on open, in the same normal form as new ones (accents, CJK pairs), and running migration 13 again is harmless."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from gmail_tickets.adapters.sqlite_store import SqliteStore
from gmail_tickets.adapters.sqlite_store.migration_13 import MIGRATION_13
from gmail_tickets.adapters.sqlite_store.schema import _statements
from gmail_tickets.adapters.sqlite_store.search_index import register_functions
from gmail_tickets.domain.search_query import parse
from gmail_tickets.domain.ticket_query import TicketFilter
from tests.contract.sqlite_old_files import write_old_file

HELP = "help@acme.test"
AT = "2024-05-01T08:00:00.000000+00:00"


def _write_v11_file(path: Path) -> None:
    tickets = [(ticket_id, HELP, json.dumps({"subject": subject, "requester": f"r{ticket_id}@customer.test",
                                             "connection": HELP, "requester_name": name, "status": "new",
                                             "created_at": AT}))
               for ticket_id, subject, name in ((1, "Crème brûlée recipe", "Zoë"), (2, "配送について", ""))]
    comments = [(comment_id, ticket_id, AT, json.dumps({"id": comment_id, "ticket_id": ticket_id, "author": "x",
                                                        "body_text": body, "created_at": AT, "connection": HELP}))
                for comment_id, ticket_id, body in (("c1", 1, "the refund policy"), ("c2", 2, "東京都の天気"))]
    write_old_file(path, 11, tickets, comments)


def _found(store: SqliteStore, text: str) -> list[int]:
    return [t.id for t in store.search_tickets(parse(text), filter=TicketFilter(), limit=10).tickets
            if t.id is not None]


def test_v11_tickets_and_comments_are_searchable_after_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "v11.db"
    _write_v11_file(path)

    with SqliteStore(path) as store:
        assert _found(store, "creme") == [1]
        assert _found(store, "zoe") == [1]
        assert _found(store, "r2@customer.test") == [2]
        assert _found(store, '"refund policy"') == [1]
        assert _found(store, "東京") == [2]
        assert _found(store, "配送") == [2]


def test_migration_13_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "v11.db"
    _write_v11_file(path)
    SqliteStore(path).close()
    db = sqlite3.connect(path, isolation_level=None)
    register_functions(db)
    try:
        before = db.execute("SELECT rowid, words, ticket_id FROM ticket_search ORDER BY rowid").fetchall()
        for statement in _statements(MIGRATION_13):
            db.execute(statement)
        assert db.execute("SELECT rowid, words, ticket_id FROM ticket_search ORDER BY rowid").fetchall() == before
        assert len(before) == 4
    finally:
        db.close()
