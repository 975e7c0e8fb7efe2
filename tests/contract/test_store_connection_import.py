"""Contract: a connection's initial-import progress (import_total, import_done) is kept.

The console shows "imported 120 of 300" from these two numbers while the import runs; connections stored
before they existed read back as 0 of 0 (nothing to show), never as an error.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

from gmail_tickets.adapters.firestore_store import FirestoreStore, keys
from gmail_tickets.adapters.sqlite_store import SqliteStore
from gmail_tickets.domain.model import Connection
from gmail_tickets.ports import Store, UnitOfWork

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
HELP = "help@acme.test"


def _write_connection_as_before(store: Store, address: str) -> None:
    """A connection as the previous release stored it: no import fields at all."""
    if isinstance(store, SqliteStore):
        db = sqlite3.connect(store.path)
        try:
            doc = {"address": address, "brand_id": "default", "status": "connected", "account_kind": "gmail",
                   "send_via_gmail": True, "warnings": [], "created_at": T0.isoformat(timespec="microseconds")}
            db.execute("INSERT INTO connections (address, doc) VALUES (?, ?)", (address, json.dumps(doc)))
            db.commit()
        finally:
            db.close()
    else:
        assert isinstance(store, FirestoreStore)
        store.client.collection(store.prefix + "connections").document(keys.doc_id(address)).set({
            "address": address, "brand_id": "default", "status": "connected", "account_kind": "gmail",
            "send_via_gmail": True, "warnings": [], "created_at": T0,
        })


def test_import_progress_round_trips(store: Store) -> None:
    store.save_connection(Connection(HELP, import_total=300, import_done=120))

    got = store.get_connection(HELP)
    assert got is not None
    assert (got.import_total, got.import_done) == (300, 120)
    assert [(c.import_total, c.import_done) for c in store.list_connections()] == [(300, 120)]


def test_import_progress_is_updated_in_place(store: Store) -> None:
    store.save_connection(Connection(HELP, import_total=300, import_done=0))

    def advance(uow: UnitOfWork) -> None:
        connection = uow.get_connection(HELP)
        assert connection is not None
        connection.import_done += 50
        uow.put_connection(connection)

    store.atomically(advance)
    store.atomically(advance)

    got = store.get_connection(HELP)
    assert got is not None
    assert (got.import_total, got.import_done) == (300, 100)
    assert store.atomically(lambda uow: uow.get_connection(HELP)) == got


def test_a_new_connection_has_no_import(store: Store) -> None:
    store.save_connection(Connection(HELP))

    got = store.get_connection(HELP)
    assert got is not None
    assert (got.import_total, got.import_done) == (0, 0)


def test_a_connection_stored_before_import_progress_reads_as_zero(store: Store) -> None:
    _write_connection_as_before(store, HELP)

    got = store.get_connection(HELP)
    assert got == Connection(HELP, created_at=T0)
    assert got is not None and (got.import_total, got.import_done) == (0, 0)
    assert store.atomically(lambda uow: uow.get_connection(HELP)) == got

    # and saving it back (as the import does) adds the fields
    got.import_total = 7
    store.save_connection(got)
    again = store.get_connection(HELP)
    assert again is not None and (again.import_total, again.import_done) == (7, 0)
