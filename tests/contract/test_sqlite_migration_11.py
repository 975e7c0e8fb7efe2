"""SQLite only: a file written before the ticket lifecycle (schema version 9) upgrades in place — tickets an agent
replied on become open, the others stay new, each learns when its mail was received — and the sweep's "solved
tickets due" query is served by the partial index on solved_at, never a scan of all tickets."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from gmail_tickets.adapters.sqlite_store import SqliteStore
from gmail_tickets.adapters.sqlite_store.migration_11 import MIGRATION_11
from gmail_tickets.adapters.sqlite_store.schema import SCHEMA_VERSION, _statements
from gmail_tickets.adapters.sqlite_store.tickets import SOLVED_DUE_SQL
from gmail_tickets.domain.ticket_fields import Priority, TicketStatus
from tests.contract.sqlite_old_files import write_old_file

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
HELP = "help@acme.test"


def _ts(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


def _ticket_doc(ticket_id: int) -> str:
    return json.dumps({"subject": f"s{ticket_id}", "requester": "ann@customer.test", "connection": HELP,
                       "brand_id": "default", "requester_name": "", "followers": [], "status": "new",
                       "created_at": _ts(T0), "suppress_triggers": False, "gmail_thread_id": None, "mentions": None})


def _comment_doc(comment_id: str, ticket_id: int, kind: str, at: str) -> str:
    return json.dumps({"id": comment_id, "ticket_id": ticket_id, "author": "x", "body_text": "b", "created_at": at,
                       "connection": HELP, "author_kind": kind, "attachments": []})


def _write_v9_file(path: Path) -> None:
    """Tickets 1 (a customer's mail, then an agent's reply), 2 (two customer mails), 3 (no comment at all)."""
    rows = [("c1", 1, "customer", "2024-05-01T08:00:00.000000+00:00"),
            ("c2", 1, "agent", "2024-05-02T08:00:00.000000+00:00"),
            ("c3", 2, "customer", "2024-05-03T08:00:00.000000+00:00"),
            ("c4", 2, "customer", "2024-05-04T08:00:00.000000+00:00")]
    write_old_file(path, 9, [(t, HELP, _ticket_doc(t)) for t in (1, 2, 3)],
                   [(c, t, at, _comment_doc(c, t, kind, at)) for c, t, kind, at in rows])


def test_v9_tickets_become_open_when_an_agent_replied_else_new(tmp_path: Path) -> None:
    path = tmp_path / "v9.db"
    _write_v9_file(path)

    with SqliteStore(path) as store:
        replied, waiting, empty = store.get_ticket(1), store.get_ticket(2), store.get_ticket(3)
        assert replied is not None and waiting is not None and empty is not None
        assert (replied.status, waiting.status, empty.status) == (
            TicketStatus.OPEN, TicketStatus.NEW, TicketStatus.NEW)
        assert replied.received_at == datetime(2024, 5, 1, 8, tzinfo=UTC)  # the first comment's, not the agent's
        assert waiting.received_at == datetime(2024, 5, 3, 8, tzinfo=UTC)
        assert empty.received_at is None
        assert (replied.priority, replied.tags, replied.assignee, replied.version, replied.timeline) == (
            Priority.NORMAL, [], None, 0, [])
        assert [c.id for c in store.comments(1)] == ["c1", "c2"]

    db = sqlite3.connect(path)
    try:
        assert db.execute("SELECT version FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        db.close()


def test_migration_11_is_idempotent(tmp_path: Path) -> None:
    """Run again (as on a file that met it before a renumbering), it changes nothing."""
    path = tmp_path / "v9.db"
    _write_v9_file(path)
    SqliteStore(path).close()
    db = sqlite3.connect(path, isolation_level=None)
    try:
        before = db.execute("SELECT id, doc FROM tickets ORDER BY id").fetchall()
        for statement in _statements(MIGRATION_11):
            db.execute(statement)
        assert db.execute("SELECT id, doc FROM tickets ORDER BY id").fetchall() == before
    finally:
        db.close()


def test_solved_tickets_due_are_served_by_the_solved_index(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "store.db").close()
    db = sqlite3.connect(tmp_path / "store.db")
    try:
        plan = " ".join(str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {SOLVED_DUE_SQL}", (_ts(T0), 200)))
    finally:
        db.close()

    assert "tickets_solved_due" in plan and "SCAN tickets" not in plan.replace("USING INDEX", ""), plan
    assert "TEMP B-TREE" not in plan, plan  # the index gives the order too
