"""The SQLite store's schema, as numbered migrations applied in order on open.

A migration is never edited once released: add a new one instead. `schema_version` holds the number of
migrations applied, so opening a file written by an older release upgrades it in place, and opening a file
written by a newer release fails loudly instead of writing rows that release cannot read.
"""

from __future__ import annotations

import sqlite3

from gmail_tickets.adapters.sqlite_store.migration_6 import MIGRATION_6
from gmail_tickets.adapters.sqlite_store.migration_7 import MIGRATION_7
from gmail_tickets.adapters.sqlite_store.migration_8 import MIGRATION_8
from gmail_tickets.adapters.sqlite_store.migration_9 import MIGRATION_9
from gmail_tickets.adapters.sqlite_store.migration_10 import MIGRATION_10
from gmail_tickets.adapters.sqlite_store.migration_11 import MIGRATION_11
from gmail_tickets.adapters.sqlite_store.migration_12 import MIGRATION_12
from gmail_tickets.adapters.sqlite_store.migration_13 import MIGRATION_13
from gmail_tickets.adapters.sqlite_store.migration_14 import MIGRATION_14
from gmail_tickets.adapters.sqlite_store.migration_15 import MIGRATION_15
from gmail_tickets.adapters.sqlite_store.migration_16 import MIGRATION_16
from gmail_tickets.adapters.sqlite_store.migration_17 import MIGRATION_17
from gmail_tickets.adapters.sqlite_store.migrations import RELEASED

MIGRATIONS: tuple[str, ...] = (*RELEASED, MIGRATION_6, MIGRATION_7, MIGRATION_8, MIGRATION_9, MIGRATION_10,
                               MIGRATION_11, MIGRATION_12, MIGRATION_13, MIGRATION_14, MIGRATION_15, MIGRATION_16,
                               MIGRATION_17)

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(RuntimeError):
    """The file was written by a newer release; refusing to touch it protects that release's data."""


def migrate(db: sqlite3.Connection) -> int:
    """Bring the schema up to SCHEMA_VERSION inside one write transaction; return the version found.

    Idempotent, and safe when several processes open a new file at once: BEGIN IMMEDIATE makes them take
    turns, and each one re-reads the version after getting the lock.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = db.execute("SELECT version FROM schema_version").fetchone()
        found = 0 if row is None else int(row[0])
        if found > SCHEMA_VERSION:
            raise SchemaTooNew(f"database schema version {found} is newer than this release ({SCHEMA_VERSION})")
        for script in MIGRATIONS[found:]:
            for statement in _statements(script):
                db.execute(statement)
        if row is None:
            db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        elif found < SCHEMA_VERSION:
            db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return found


def _statements(script: str) -> list[str]:
    """Split a migration into statements; executescript() would commit our transaction first."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements
