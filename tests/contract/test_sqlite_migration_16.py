"""Migration 16 (webhooks) stands alone: new tables and indexes only, each IF NOT EXISTS, so it may run in any place
of the sequence (other migrations were numbered 14-16 at the same time) and running it again changes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gmail_tickets.adapters.sqlite_store.migration_16 import MIGRATION_16


def test_it_runs_on_an_empty_file_and_again_without_change(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.sqlite")
    db.executescript(MIGRATION_16)
    db.execute("INSERT INTO webhook_deliveries (id, endpoint_pos, doc) VALUES ('d', 'e\nk', '{}')")
    db.executescript(MIGRATION_16)
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE name LIKE 'webhook%'")}
    assert names == {"webhook_endpoints", "webhook_deliveries", "webhook_deliveries_by_endpoint",
                     "webhook_deliveries_by_stream", "webhook_deliveries_pending"}
    assert db.execute("SELECT count(*) FROM webhook_deliveries").fetchone()[0] == 1
