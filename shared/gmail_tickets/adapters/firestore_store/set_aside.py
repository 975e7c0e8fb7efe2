"""SetAsideRepo on Firestore: quarantine/{id} (raw bytes inline up to INLINE_LIMIT, beyond that chunked) and
suspended/{id}. Each carries `sort_key` (created_at, then storing order): newest first from one field."""

from __future__ import annotations

from google.cloud import firestore
from google.cloud.firestore_v1.document import DocumentReference, DocumentSnapshot

from gmail_tickets.adapters import records
from gmail_tickets.adapters.firestore_store import keys
from gmail_tickets.adapters.firestore_store.spill import INLINE_LIMIT, Spilling
from gmail_tickets.adapters.firestore_store.transaction import Doc, FirestoreTx
from gmail_tickets.domain.model import QuarantineRecord, SuspendedMail
from gmail_tickets.domain.paging import Page, PageRequest


class SetAsideTx(FirestoreTx):
    def add_quarantine(self, record: QuarantineRecord) -> None:
        # Same id again (a redelivered poison event) replaces the record, as in the SQLite store.
        ref = self._store._ref("quarantine", record.id)
        self.set(ref, self._store._quarantine_doc(ref, record))

    def add_suspended(self, record: SuspendedMail) -> None:
        # Same id again replaces the record (a blind set: no read, so it may follow this unit's other writes).
        doc = records.to_doc(record)
        doc["sort_key"] = keys.newest_first_key(record.created_at, keys.next_seq())
        self.set(self._store._ref("suspended", record.id), doc)

    def get_suspended(self, record_id: str) -> SuspendedMail | None:
        return self.read_record(SuspendedMail, self._store._ref("suspended", record_id)) or self.read_record(
            SuspendedMail, self._store._ref("recovered_mail", record_id))

    def recover_suspended(self, record: SuspendedMail) -> None:
        """Off the list (suspended/{id}) into recovered_mail/{id}: the list's queries stay as they were."""
        self.delete(self._store._ref("suspended", record.id))
        self.set(self._store._ref("recovered_mail", record.id), records.to_doc(record))

    def delete_suspended(self, record_id: str) -> None:
        self.delete(self._store._ref("suspended", record_id))


class SetAsideRepo(Spilling):
    def _quarantine_doc(self, ref: DocumentReference, record: QuarantineRecord) -> Doc:
        doc = records.to_doc(record)
        doc["sort_key"] = keys.newest_first_key(record.created_at, keys.next_seq())
        if len(record.raw) > INLINE_LIMIT:
            del doc["raw"]
            doc.update(self._spill(ref, "raw", record.raw))
        return doc

    def _quarantine_from(self, snap: DocumentSnapshot) -> QuarantineRecord:
        doc = snap.to_dict() or {}
        if "raw" not in doc:
            doc["raw"] = self._unspill(snap.reference, doc, "raw")
        return records.from_doc(QuarantineRecord, doc)

    def list_quarantine(self, *, limit: int = 50) -> list[QuarantineRecord]:
        """Newest first (by created_at, then by when it was stored; records without a time last)."""
        query = self._col("quarantine").order_by("sort_key", direction=firestore.Query.DESCENDING).limit(limit)
        return [self._quarantine_from(s) for s in self._stream(query)]

    def quarantine_page(self, page: PageRequest) -> Page[QuarantineRecord]:
        return self._page("quarantine", self._col("quarantine"), ("sort_key",), page, self._quarantine_from)

    def count_quarantine(self) -> int:
        return self._count_of(self._col("quarantine"))

    def suspended_page(self, page: PageRequest) -> Page[SuspendedMail]:
        return self._page("suspended", self._col("suspended"), ("sort_key",), page,
                          lambda s: records.from_doc(SuspendedMail, s.to_dict() or {}))

    def count_suspended(self) -> int:
        return self._count_of(self._col("suspended"))

    def get_suspended(self, record_id: str) -> SuspendedMail | None:
        return self._get_record(SuspendedMail, self._ref("suspended", record_id)) or self._get_record(
            SuspendedMail, self._ref("recovered_mail", record_id))

    def list_suspended(self, *, limit: int = 50) -> list[SuspendedMail]:
        """Newest first (by created_at, then by when it was stored)."""
        query = self._col("suspended").order_by("sort_key", direction=firestore.Query.DESCENDING).limit(limit)
        return self._records(SuspendedMail, query)
