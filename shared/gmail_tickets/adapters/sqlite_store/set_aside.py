"""SetAsideRepo on SQLite: quarantined input (raw bytes in a BLOB column beside the doc: JSON holds no bytes)
and suspended mail, each newest first by created_at, then by when it was stored (`seq`)."""

from __future__ import annotations

import sqlite3

from gmail_tickets.adapters import records
from gmail_tickets.adapters.sqlite_store.tx import SqliteRepo, SqliteTx, doc_text, record_of
from gmail_tickets.domain.model import QuarantineRecord, SuspendedMail
from gmail_tickets.domain.paging import Page, PageRequest


class SetAsideTx(SqliteTx):
    def add_quarantine(self, record: QuarantineRecord) -> None:
        # Same id again (a redelivered poison event) replaces the record instead of failing the caller.
        self._upsert(
            "quarantine",
            {"id": record.id, "created_at": records.ts(record.created_at), "raw": sqlite3.Binary(record.raw)},
            doc_text(record, leave_out=("raw",)),
        )

    def add_suspended(self, record: SuspendedMail) -> None:
        # REPLACE gives a replaced record a new seq: it sorts as stored last, as in the Firestore store.
        self._write(
            "INSERT OR REPLACE INTO suspended (id, created_at, doc) VALUES (?, ?, ?)",
            (record.id, records.ts(record.created_at), doc_text(record)),
        )

    def get_suspended(self, record_id: str) -> SuspendedMail | None:
        return self._get(SuspendedMail, "suspended", "id", record_id) or self._get(
            SuspendedMail, "recovered_mail", "id", record_id)

    def recover_suspended(self, record: SuspendedMail) -> None:
        self._delete("suspended", "id", record.id)
        self._upsert("recovered_mail", {"id": record.id}, doc_text(record))

    def delete_suspended(self, record_id: str) -> None:
        self._delete("suspended", "id", record_id)


class SetAsideRepo(SqliteRepo):
    def list_quarantine(self, *, limit: int = 50) -> list[QuarantineRecord]:
        """Newest first (by created_at, then by when it was stored)."""
        rows = self._read(
            "SELECT raw, doc FROM quarantine ORDER BY created_at IS NULL, created_at DESC, seq DESC LIMIT ?",
            (limit,),
        )
        return [record_of(QuarantineRecord, r, raw=bytes(r["raw"])) for r in rows]

    def quarantine_page(self, page: PageRequest) -> Page[QuarantineRecord]:
        """By when it was stored (`seq`, the primary key): a record's own time may be missing."""
        return self._page("quarantine", ("seq",), page,
                          lambda r: record_of(QuarantineRecord, r, raw=bytes(r["raw"])))

    def count_quarantine(self) -> int:
        return self._count_rows("quarantine")

    def suspended_page(self, page: PageRequest) -> Page[SuspendedMail]:
        return self._page("suspended", ("created_at", "seq"), page, lambda r: record_of(SuspendedMail, r))

    def count_suspended(self) -> int:
        return self._count_rows("suspended")

    def get_suspended(self, record_id: str) -> SuspendedMail | None:
        for table in ("suspended", "recovered_mail"):
            found = self._records(SuspendedMail, f"SELECT doc FROM {table} WHERE id = ?", (record_id,))
            if found:
                return found[0]
        return None

    def list_suspended(self, *, limit: int = 50) -> list[SuspendedMail]:
        """Newest first (by created_at, then by when it was stored)."""
        return self._records(SuspendedMail, "SELECT doc FROM suspended ORDER BY created_at DESC, seq DESC LIMIT ?",
                             (limit,))
