"""LedgerRepo on Firestore: ledger/{connection}:{gmail id}, the exactly-once record, which is also the thread
index and the per-sender mail counter (a new ticket costs 3 writes: ledger + ticket + first comment)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from gmail_tickets.adapters import records
from gmail_tickets.adapters.firestore_store import keys
from gmail_tickets.adapters.firestore_store.base import FirestoreBase
from gmail_tickets.adapters.firestore_store.client import translated
from gmail_tickets.adapters.firestore_store.transaction import Doc, FirestoreTx
from gmail_tickets.domain.model import LedgerEntry, Outcome
from gmail_tickets.domain.org_domain import organization_of, organizational_domain
from gmail_tickets.errors import AlreadyRecorded

GET_ALL_CHUNK = 200  # document refs per batched get
IN_LIMIT = 30  # values per `in` filter (Firestore's limit)


def ledger_doc(entry: LedgerEntry, thread_id: str | None, seq: int) -> Doc:
    """The entry (sender lower-cased), plus what makes it the thread index and the per-sender mail counter.

    `thread_pos` ("<connection:thread>\\n<seq>", only on entries that point at a ticket) lets
    ticket_for_thread find the latest such entry with one range query ordered on that same field, which the
    automatic single-field index serves: no composite index to declare, nothing to forget in production.
    `sender_pos` ("<sender>\\n<created_at>", only on entries with both) does the same for recent_mail_count:
    one sender's mail since a moment is one range on one field, instead of an equality on `sender` plus a range
    on `created_at`, which would need a composite index.
    """
    doc = records.to_doc(replace(entry, sender=keys.sender_key(entry.sender)))
    doc.update(thread_id=thread_id, seq=seq)
    if thread_id is not None and entry.ticket_id is not None:
        doc["thread_pos"] = keys.thread_prefix(entry.connection, thread_id) + keys.seq_text(seq)
    if entry.sender is not None and entry.created_at is not None:
        doc["sender_pos"] = keys.sender_prefix(entry.sender) + keys.time_key(entry.created_at)
        org = organization_of(entry.sender)
        if org:  # `sender_domain_pos`: the same for all mail of one organizational domain (burst by domain)
            doc["sender_domain_pos"] = keys.sender_prefix(org) + keys.time_key(entry.created_at)
    return doc


class LedgerTx(FirestoreTx):
    def get_ledger(self, connection: str, gmail_message_id: str) -> LedgerEntry | None:
        ref = self._store._ref("ledger", connection, gmail_message_id)
        entry = self.read_record(LedgerEntry, ref)
        self._ledger_seen[ref.id] = entry is not None
        return entry

    def ticket_for_thread(self, connection: str, thread_id: str) -> int | None:
        # The latest entry pointing at a ticket wins: a thread followed up by a new ticket belongs to that one.
        prefix = keys.thread_prefix(connection, thread_id)
        query = (
            self._store._col("ledger")
            .where(filter=FieldFilter("thread_pos", ">=", prefix))
            .where(filter=FieldFilter("thread_pos", "<", prefix + "~"))  # '~' sorts after every digit
            .order_by("thread_pos", direction=firestore.Query.DESCENDING)
            .limit(1)
        )
        for snap in self.query(query):
            ticket_id = snap.get("ticket_id")
            if ticket_id is not None:
                return int(ticket_id)
        return None

    def ticket_for_message_ids(self, message_ids: Sequence[str]) -> int | None:
        ids = list(dict.fromkeys(message_ids))
        found: dict[str, tuple[int, int]] = {}  # rfc id -> (seq, ticket id) of its earliest entry with a ticket
        for start in range(0, len(ids), IN_LIMIT):
            chunk = ids[start : start + IN_LIMIT]
            query = self._store._col("ledger").where(filter=FieldFilter("rfc_message_id", "in", chunk))
            for snap in self.query(query):
                doc = snap.to_dict() or {}
                if doc.get("ticket_id") is None:
                    continue
                candidate = (int(doc.get("seq", 0)), int(doc["ticket_id"]))
                rfc_id = doc["rfc_message_id"]
                if rfc_id not in found or candidate < found[rfc_id]:
                    found[rfc_id] = candidate
        return next((found[i][1] for i in ids if i in found), None)

    def recorded_with_message_id(self, message_id: str) -> list[LedgerEntry]:
        # One equality query (the automatic single-field index), run outside the transaction as the other
        # lookups by query are; the entries are ordered by when they were written (`seq`).
        query = self._store._col("ledger").where(filter=FieldFilter("rfc_message_id", "==", message_id))
        found = [snap.to_dict() or {} for snap in self.query(query)]
        found = sorted((d for d in found if d.get("ticket_id") is not None), key=lambda d: int(d.get("seq", 0)))
        return [records.from_doc(LedgerEntry, d) for d in found]

    def add_ledger(self, entry: LedgerEntry, *, thread_id: str | None = None) -> None:
        ref = self._store._ref("ledger", entry.connection, entry.gmail_message_id)
        if self._ledger_seen.get(ref.id) or ref.id in self._created_ids:
            raise AlreadyRecorded(f"ledger {ref.id}")  # read as existing, or added twice: no need to commit
        self.create(ref, ledger_doc(entry, thread_id, keys.next_seq()))
        self.created_ledger.append(ref)
        self._created_ids.add(ref.id)

    def replace_ledger(self, entry: LedgerEntry, *, thread_id: str | None = None) -> None:
        # A new seq: the entry is its thread's latest, as a new rowid makes it in SQLite.
        self.set(self._store._ref("ledger", entry.connection, entry.gmail_message_id),
                 ledger_doc(entry, thread_id, keys.next_seq()))


class LedgerRepo(FirestoreBase):
    def ledger_contains(self, connection: str, gmail_message_ids: Sequence[str]) -> set[str]:
        by_doc_id = {keys.ledger_id(connection, i): i for i in dict.fromkeys(gmail_message_ids)}
        refs = [self._col("ledger").document(d) for d in by_doc_id]
        found: set[str] = set()
        for start in range(0, len(refs), GET_ALL_CHUNK):
            with translated():
                snaps = list(self._client.get_all(refs[start : start + GET_ALL_CHUNK], field_paths=["outcome"]))
            found.update(by_doc_id[s.id] for s in snaps if s.exists)
        return found

    def ledger_counts(self, connection: str | None = None) -> dict[Outcome, int]:
        """Every outcome is a key, zero included; one count aggregation per outcome (no documents read)."""
        counts = dict.fromkeys(Outcome, 0)
        for outcome in Outcome:
            query = self._col("ledger").where(filter=FieldFilter("outcome", "==", str(outcome)))
            if connection is not None:
                query = query.where(filter=FieldFilter("connection", "==", connection))
            with translated():
                result = query.count(alias="n").get()
            counts[outcome] = int(result[0][0].value)
        return counts

    def recent_mail_count(self, sender: str, since: datetime) -> int:
        """A count aggregation over one range of `sender_pos` (see ledger_doc): index entries are counted
        server-side, no document is read, and no composite index is needed."""
        return self._count_since("sender_pos", keys.sender_prefix(sender), since)

    def recent_domain_mail_count(self, domain: str, since: datetime) -> int:
        """The same over `sender_domain_pos`: mail from any sender of the organization of `domain`."""
        org = organizational_domain(domain)
        return self._count_since("sender_domain_pos", keys.sender_prefix(org), since) if org else 0

    def _count_since(self, field: str, prefix: str, since: datetime) -> int:
        with translated():
            result = keys.range_since(self._col("ledger"), field, prefix, since).count(alias="n").get()
        return int(result[0][0].value)
