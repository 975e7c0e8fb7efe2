"""SQLite only: a file written before the views (schema version 11) upgrades in place — each ticket learns who
wrote last and when from its latest comment, and sorts by that — and the views' pages and counts are served by
indexes (the query plan names one), never a scan of every ticket."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gmail_tickets.adapters.sqlite_store import SqliteStore
from gmail_tickets.adapters.sqlite_store.ticket_list import where
from gmail_tickets.domain.paging import PageRequest
from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.domain.ticket_query import TicketFilter, TicketSort
from tests.contract.sqlite_old_files import write_old_file
from tests.contract.test_sqlite_migration_11 import HELP, _comment_doc, _ticket_doc


def _write_v11_file(path: Path) -> None:
    """Tickets 1 (a customer's mail, then an agent's reply), 2 (a customer's mail, late), 3 (no comment)."""
    rows = [("c1", 1, "customer", "2024-06-01T08:00:00.000000+00:00"),
            ("c2", 1, "agent", "2024-06-02T08:00:00.000000+00:00"),
            ("c3", 2, "customer", "2024-06-03T08:00:00.000000+00:00")]
    write_old_file(path, 11, [(t, HELP, _ticket_doc(t)) for t in (1, 2, 3)],
                   [(c, t, at, _comment_doc(c, t, kind, at)) for c, t, kind, at in rows])


def test_old_tickets_learn_their_last_writer_and_sort_by_it(tmp_path: Path) -> None:
    path = tmp_path / "v11.db"
    _write_v11_file(path)
    with SqliteStore(path) as store:
        page = store.ticket_page(TicketFilter(), TicketSort.UPDATED, PageRequest(10))
        assert [t.id for t in page.items] == [2, 1, 3]  # 3 has no comment: its created_at (T0, in May) sorts it
        two, one, three = page.items
        assert (one.last_author_kind, one.last_activity_at and one.last_activity_at.month) == ("agent", 6)
        assert two.updated_at is not None and two.updated_at.isoformat().startswith("2024-06-03T08:00")
        assert (three.updated_at, three.last_author) == (None, "")
        assert store.count_tickets(TicketFilter(statuses=(TicketStatus.NEW,))) == 3


def _plan(db: sqlite3.Connection, sql: str, params: list[object]) -> str:
    return " ".join(str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params))


def test_views_and_counts_are_served_by_indexes(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    try:
        for query in (TicketFilter(statuses=(TicketStatus.PENDING,)), TicketFilter(unassigned=True),
                      TicketFilter(assignee="ana@acme.test", statuses=(TicketStatus.OPEN,)),
                      TicketFilter(requester="ann@customer.test"), TicketFilter(brand_id="acme")):
            conditions, params = where(query)
            for sql in (f"SELECT id, doc FROM tickets WHERE {' AND '.join(conditions)} "
                        "ORDER BY t_updated DESC, id DESC LIMIT 51",
                        f"SELECT COUNT(*) FROM tickets WHERE {' AND '.join(conditions)}"):
                plan = _plan(db, sql, params)
                assert "USING" in plan and "INDEX" in plan and "SCAN tickets" not in plan.replace(
                    "SCAN tickets USING", ""), (query, plan)
        assert "USING INDEX tickets_updated" in _plan(
            db, "SELECT id, doc FROM tickets ORDER BY t_updated DESC, id DESC LIMIT 51", [])
    finally:
        db.close()
