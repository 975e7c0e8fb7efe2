"""The cloud Store: Firestore (native mode), passing the same contract suite as the SQLite store.

Layout (collection names get an optional prefix, so several stores can share one database):
  connections/{address}  support_addresses/{address}  brands/{id}
  ledger/{connection}:{gmail id}    the exactly-once record; also the thread index (thread_id, rfc_message_id,
                                    thread_pos), so a new ticket costs 3 writes: ledger + ticket + first comment
  tickets/{id}/comments/{comment id}
  quarantine/{id}   raw bytes inline up to 900 KB, beyond that in chunk documents .../chunks/{digest}-{n}
                    (Firestore's 1 MiB document limit; comment bodies, text and HTML, are chunked the same way)
  suspended/{id}
  leases/{key}   counters/tickets
  oauth_flows/{nonce}   taken (read and deleted) in one transaction, so at most once
  outbox/{notification id}   the notifications we owe, each document outbox_codec's dict (state, ticket_id and
                             created_at top-level, for list_notifications)
  send_windows/{address}     one account's Gmail sends over the rolling 24 h (outbox_codec's dict)

Why it is built this way:
- `atomically` runs the unit of work in a Firestore transaction (`@firestore.transactional`): reads go through
  the transaction, writes are buffered on it, and the ledger entry is a `create`, which fails at commit when
  the entry exists. That failure is re-checked and surfaces as AlreadyRecorded, with nothing of the unit written.
- Ticket ids are small increasing integers handed out from blocks reserved with one atomic Increment on
  counters/tickets (no transaction, no contention per ticket): unique across processes, increasing within one.
- Every query is served by Firestore's automatic single-field indexes (equality filters, or a range and an
  order on the same field), so production needs no composite index declared (REQUIRED_INDEXES is empty).
  Where a query would want one (a sender's mail since a moment), the document carries one composite-key field
  to range over instead (`sender_pos`, like `thread_pos`).
Nothing here logs mail content or secrets.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.document import DocumentReference, DocumentSnapshot
from google.cloud.firestore_v1.query import Query
from google.cloud.firestore_v1.transaction import Transaction

from gmail_tickets.adapters import firestore_codec as codec
from gmail_tickets.adapters import outbox_codec
from gmail_tickets.domain.model import (
    Brand,
    Comment,
    Connection,
    LedgerEntry,
    OAuthFlow,
    Outcome,
    QuarantineRecord,
    SupportAddress,
    SuspendedMail,
    Ticket,
)
from gmail_tickets.domain.outbox import Notification, NotificationState, SendWindow
from gmail_tickets.domain.send_window import bucket_of
from gmail_tickets.errors import AlreadyRecorded, TransientError
from gmail_tickets.ports import UnitOfWork

T = TypeVar("T")

log = logging.getLogger(__name__)

REQUIRED_INDEXES: list[tuple[str, list[tuple[str, str]]]] = []
"""Composite indexes production must declare, as (collection, [(field, "ASC"|"DESC"), ...]): none. Every query
ranges over one field, which Firestore's automatic single-field indexes serve; keep it that way, or list the
index here so Terraform declares it (the emulator never asks for indexes, so tests would not notice)."""

INLINE_LIMIT = 900_000  # bytes of raw mail or comment bodies kept inside their document (limit: 1 MiB)
CHUNK_SIZE = 900_000
_CHUNKS_PER_COMMIT = 3  # ~2.7 MB a request: under the emulator's 4 MiB gRPC cap and production's 10 MiB
_GET_ALL_CHUNK = 200  # document refs per batched get
_IN_LIMIT = 30  # values per `in` filter (Firestore's limit)
_TRANSIENT = (
    gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.InternalServerError, gexc.ResourceExhausted,
    gexc.RetryError, gexc.Unknown,
)

_env_lock = threading.Lock()


def emulator_client(host: str, project: str) -> firestore.Client:
    """A client for the Firestore emulator at `host` ("127.0.0.1:PORT"), without touching os.environ for good.

    The library only looks at FIRESTORE_EMULATOR_HOST while constructing the client, so we set it just for
    that moment; other clients in the process keep talking to whatever they were built for.
    """
    with _env_lock:
        saved = os.environ.get("FIRESTORE_EMULATOR_HOST")
        os.environ["FIRESTORE_EMULATOR_HOST"] = host
        try:
            return firestore.Client(project=project)
        finally:
            if saved is None:
                del os.environ["FIRESTORE_EMULATOR_HOST"]
            else:
                os.environ["FIRESTORE_EMULATOR_HOST"] = saved


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    """Platform hiccups become TransientError, so services retry later instead of deciding on gRPC codes."""
    try:
        yield
    except _TRANSIENT as exc:
        raise TransientError(f"firestore unavailable: {type(exc).__name__}") from exc


def _snapshot(transaction: Transaction, ref: DocumentReference) -> DocumentSnapshot:
    return next(iter(transaction.get(ref)))


def _send_window(address: str, snap: DocumentSnapshot) -> SendWindow:
    """An account that never sent has no document: its window is empty, not missing."""
    return outbox_codec.send_window_from(snap.to_dict() or {}) if snap.exists else SendWindow(address)


def _newest_first(docs: list[codec.Doc]) -> list[codec.Doc]:
    """created_at then id, both descending, records without a time last: the SQLite store's order. The
    times are outbox_codec's fixed-width UTC text, so text order is time order."""
    return sorted(docs, key=lambda d: (d.get("created_at") or "", d["id"]), reverse=True)


def _oldest_first(docs: list[codec.Doc]) -> list[codec.Doc]:
    """The reverse, except that records without a time still come last (as in the SQLite store)."""
    return sorted(docs, key=lambda d: (d.get("created_at") is None, d.get("created_at") or "", d["id"]))


# --------------------------------------------------------------------------- unit of work


class _FirestoreUnitOfWork:
    """One attempt of one transaction: reads through it, writes buffered on it, writes counted.

    A fresh one is made for every attempt, so nothing from an aborted attempt leaks into the next.
    """

    def __init__(self, store: FirestoreStore, transaction: Transaction) -> None:
        self._store = store
        self._tx = transaction
        self.writes = 0
        self.created_ledger: list[DocumentReference] = []
        self._created_ids: set[str] = set()
        self._ledger_seen: dict[str, bool] = {}  # doc id -> exists, from reads in this attempt
        self._tickets_seen: dict[int, bool] = {}  # ticket id -> exists, from reads in this attempt

    # -- plumbing

    def read(self, ref: DocumentReference) -> DocumentSnapshot:
        return _snapshot(self._tx, ref)

    def query(self, query: Query) -> list[DocumentSnapshot]:
        return list(self._tx.get(query))

    def set(self, ref: DocumentReference, doc: codec.Doc) -> None:
        self._tx.set(ref, doc)
        self.writes += 1

    def create(self, ref: DocumentReference, doc: codec.Doc) -> None:
        self._tx.create(ref, doc)
        self.writes += 1

    def update(self, ref: DocumentReference, fields: codec.Doc) -> None:
        self._tx.update(ref, fields)
        self.writes += 1

    def delete(self, ref: DocumentReference) -> None:
        self._tx.delete(ref)
        self.writes += 1

    # -- reads

    def get_connection(self, address: str) -> Connection | None:
        snap = self.read(self._store._connection_ref(address))
        return codec.connection_from(snap.to_dict() or {}) if snap.exists else None

    def get_ledger(self, connection: str, gmail_message_id: str) -> LedgerEntry | None:
        ref = self._store._ledger_ref(connection, gmail_message_id)
        snap = self.read(ref)
        self._ledger_seen[ref.id] = snap.exists
        return codec.ledger_from(snap.to_dict() or {}) if snap.exists else None

    def ticket_for_thread(self, connection: str, thread_id: str) -> int | None:
        # The latest entry pointing at a ticket wins: a thread followed up by a new ticket belongs to that one.
        prefix = codec.thread_prefix(connection, thread_id)
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
        for start in range(0, len(ids), _IN_LIMIT):
            chunk = ids[start : start + _IN_LIMIT]
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

    def get_ticket(self, ticket_id: int) -> Ticket | None:
        snap = self.read(self._store._ticket_ref(ticket_id))
        self._tickets_seen[int(ticket_id)] = snap.exists
        return codec.ticket_from(snap.to_dict() or {}) if snap.exists else None

    def get_notification(self, notification_id: str) -> Notification | None:
        snap = self.read(self._store._notification_ref(notification_id))
        return outbox_codec.notification_from(snap.to_dict() or {}) if snap.exists else None

    def get_send_window(self, address: str) -> SendWindow:
        return _send_window(address, self.read(self._store._send_window_ref(address)))

    # -- writes

    def put_connection(self, connection: Connection) -> None:
        self.set(self._store._connection_ref(connection.address), codec.connection_doc(connection))

    def add_ledger(self, entry: LedgerEntry, *, thread_id: str | None = None) -> None:
        ref = self._store._ledger_ref(entry.connection, entry.gmail_message_id)
        if self._ledger_seen.get(ref.id) or ref.id in self._created_ids:
            raise AlreadyRecorded(f"ledger {ref.id}")  # read as existing, or added twice: no need to commit
        self.create(ref, codec.ledger_doc(entry, thread_id, codec.next_seq()))
        self.created_ledger.append(ref)
        self._created_ids.add(ref.id)

    def add_ticket(self, ticket: Ticket) -> int:
        ticket.id = self._store._next_ticket_id()
        self.create(self._store._ticket_ref(ticket.id), self._store._ticket_doc(ticket))
        return ticket.id

    def put_ticket(self, ticket: Ticket) -> None:
        # A whole-document `set` from _ticket_doc, so the fields the store adds itself (connection_pos) are
        # rewritten with the ticket and never go stale or missing. A `set` has no exists-precondition: a missing
        # ticket is caught only when this unit read it as missing (the port asks callers to read it first).
        if ticket.id is None:
            raise ValueError("put_ticket needs a stored ticket (its id is None)")
        if self._tickets_seen.get(ticket.id) is False:
            raise KeyError(f"ticket {ticket.id}")
        self.set(self._store._ticket_ref(ticket.id), self._store._ticket_doc(ticket))

    def add_comment(self, comment: Comment) -> str:
        comment.id = uuid.uuid4().hex
        ref = self._store._ticket_ref(comment.ticket_id).collection("comments").document(comment.id)
        self.create(ref, self._store._comment_doc(ref, comment))
        return comment.id

    def add_quarantine(self, record: QuarantineRecord) -> None:
        # Same id again (a redelivered poison event) replaces the record, as in the SQLite store.
        ref = self._store._col("quarantine").document(codec.doc_id(record.id))
        self.set(ref, self._store._quarantine_doc(ref, record))

    def add_suspended(self, record: SuspendedMail) -> None:
        # Same id again replaces the record (a blind set: no read, so it may follow this unit's other writes).
        ref = self._store._col("suspended").document(codec.doc_id(record.id))
        self.set(ref, codec.suspended_doc(record, codec.next_seq()))

    def put_notification(self, notification: Notification) -> None:
        self.set(self._store._notification_ref(notification.id), outbox_codec.notification_doc(notification))

    def put_send_window(self, window: SendWindow) -> None:
        # A blind `set`, never `update`: `update` reads dots in the bucket keys (ISO times) as field paths.
        self.set(self._store._send_window_ref(window.address), outbox_codec.send_window_doc(window))


# --------------------------------------------------------------------------- store


class FirestoreStore:
    """The Store port on Firestore. Thread-safe: share one per process.

    `client` is a `firestore.Client`, or a project id (also accepted as `project=`) to build one from the
    environment (FIRESTORE_EMULATOR_HOST is honoured). `prefix` goes before every top-level collection name.
    """

    def __init__(
        self,
        client: firestore.Client | str | None = None,
        prefix: str = "",
        *,
        project: str | None = None,
        max_attempts: int = 30,
        id_block: int = 20,
    ) -> None:
        if isinstance(client, firestore.Client):
            self._client = client
        else:
            self._client = firestore.Client(project=client or project)
        self.prefix = prefix
        self.write_count = 0
        self._max_attempts = max_attempts  # the emulator's 2 s lock timeout makes each conflict slow
        self._id_block = id_block
        self._lock = threading.Lock()  # guards write_count and the id block
        self._next_id = 1
        self._block_end = 0  # nothing reserved yet

    @property
    def client(self) -> firestore.Client:
        return self._client

    # -- references

    def _col(self, name: str) -> firestore.CollectionReference:
        return self._client.collection(self.prefix + name)

    def _connection_ref(self, address: str) -> DocumentReference:
        return self._col("connections").document(codec.doc_id(address))

    def _ledger_ref(self, connection: str, gmail_message_id: str) -> DocumentReference:
        return self._col("ledger").document(codec.ledger_id(connection, gmail_message_id))

    def _ticket_ref(self, ticket_id: int) -> DocumentReference:
        return self._col("tickets").document(str(ticket_id))

    def _notification_ref(self, notification_id: str) -> DocumentReference:
        return self._col("outbox").document(codec.doc_id(notification_id))

    def _send_window_ref(self, address: str) -> DocumentReference:
        return self._col("send_windows").document(codec.doc_id(address))

    def _count(self, writes: int) -> None:
        if writes:
            with self._lock:
                self.write_count += writes

    # -- ticket ids

    def _next_ticket_id(self) -> int:
        with self._lock:
            if self._next_id > self._block_end:
                self._reserve_block()
            ticket_id = self._next_id
            self._next_id += 1
            return ticket_id

    def _reserve_block(self) -> None:
        """Reserve the next `id_block` ids with one atomic server-side Increment (caller holds the lock).

        The write result carries the incremented value, so no read and no transaction are needed, and
        concurrent reservations never conflict: each gets its own range.
        """
        batch = self._client.batch()
        batch.set(self._col("counters").document("tickets"), {"next": firestore.Increment(self._id_block)},
                  merge=True)
        with _translated():
            results = batch.commit()
        end = int(results[0].transform_results[0].integer_value)
        self._next_id, self._block_end = end - self._id_block + 1, end
        self.write_count += 1

    def _ticket_doc(self, ticket: Ticket) -> codec.Doc:
        doc = codec.ticket_doc(ticket)
        # Newest first per mailbox from one range on one field (no composite index): see list_tickets.
        doc["connection_pos"] = f"{codec.doc_id(ticket.connection)}\n{ticket.id:015d}"
        return doc

    # -- values too big for one document (1 MiB, enforced by the emulator too)

    def _spill(self, ref: DocumentReference, field: str, data: bytes) -> codec.Doc:
        """Keep `data` in chunk documents under `ref`/chunks; returns the fields that find them again.

        Too big for one transaction's request too (10 MiB in production, 4 MiB on the emulator), so chunks go
        first, in their own commits. They are named by content: rewriting them (a retried attempt) is harmless
        and never alters bytes another document refers to; an attempt that never commits leaves only
        unreferenced chunks behind. Nothing is truncated.
        """
        digest = hashlib.sha256(data).hexdigest()
        chunks = [data[i : i + CHUNK_SIZE] for i in range(0, len(data), CHUNK_SIZE)]
        refs = self._chunk_refs(ref, digest, len(chunks))
        for start in range(0, len(chunks), _CHUNKS_PER_COMMIT):
            batch = self._client.batch()
            part = list(zip(refs[start : start + _CHUNKS_PER_COMMIT], chunks[start : start + _CHUNKS_PER_COMMIT],
                            strict=True))
            for chunk_ref, chunk in part:
                batch.set(chunk_ref, {"data": chunk})
            with _translated():
                batch.commit()
            self._count(len(part))
        return {f"{field}_chunks": len(chunks), f"{field}_sha256": digest, f"{field}_size": len(data)}

    def _unspill(self, ref: DocumentReference, doc: codec.Doc, field: str) -> bytes:
        digest = doc[f"{field}_sha256"]
        refs = self._chunk_refs(ref, digest, int(doc[f"{field}_chunks"]))
        with _translated():
            parts = {s.id: s.get("data") for s in self._client.get_all(refs) if s.exists}
        data = b"".join(bytes(parts.get(r.id) or b"") for r in refs)
        if len(data) != doc[f"{field}_size"] or hashlib.sha256(data).hexdigest() != digest:
            raise RuntimeError(f"{ref.path}: the chunks of {field} are incomplete in the store")
        return data

    @staticmethod
    def _chunk_refs(ref: DocumentReference, digest: str, count: int) -> list[DocumentReference]:
        return [ref.collection("chunks").document(f"{digest[:32]}-{n:05d}") for n in range(count)]

    def _comment_doc(self, ref: DocumentReference, comment: Comment) -> codec.Doc:
        """Bodies stay inline while text and HTML together fit INLINE_LIMIT; otherwise the bigger one spills
        first (then the other, if still needed), since it is their sum that meets the 1 MiB document limit."""
        doc = codec.comment_doc(comment, codec.next_seq())
        bodies = {"body_text": comment.body_text.encode()}
        if comment.body_html is not None:
            bodies["body_html"] = comment.body_html.encode()
        inline = sum(len(b) for b in bodies.values())
        for field, body in sorted(bodies.items(), key=lambda item: len(item[1]), reverse=True):
            if inline <= INLINE_LIMIT:
                break
            del doc[field]
            doc.update(self._spill(ref, field, body))
            inline -= len(body)
        return doc

    def _comment_from(self, snap: DocumentSnapshot) -> Comment:
        doc = snap.to_dict() or {}
        for field in ("body_text", "body_html"):
            if f"{field}_sha256" in doc:  # spilled (an inline body_html may be None, so test for the marker)
                doc[field] = self._unspill(snap.reference, doc, field).decode()
        return codec.comment_from(doc)

    def _quarantine_doc(self, ref: DocumentReference, record: QuarantineRecord) -> codec.Doc:
        doc: codec.Doc = {
            "id": record.id,
            "connection": record.connection,
            "reason": record.reason,
            "source": record.source,
            "gmail_message_id": record.gmail_message_id,
            "created_at": codec.utc(record.created_at),
            # newest first from one field: created_at (missing ones last), then when it was stored
            "sort_key": f"{codec.time_key(record.created_at)}\n{codec.seq_text(codec.next_seq())}",
        }
        if len(record.raw) <= INLINE_LIMIT:
            doc["raw"] = record.raw
        else:
            doc.update(self._spill(ref, "raw", record.raw))
        return doc

    def _quarantine_from(self, snap: DocumentSnapshot) -> QuarantineRecord:
        doc = snap.to_dict() or {}
        raw = bytes(doc["raw"]) if "raw" in doc else self._unspill(snap.reference, doc, "raw")
        return QuarantineRecord(
            id=doc["id"], connection=doc.get("connection"), reason=doc["reason"], raw=raw, source=doc["source"],
            gmail_message_id=doc.get("gmail_message_id"), created_at=codec.utc(doc.get("created_at")),
        )

    # -- transactions

    def _transaction(self, fn: Callable[[_FirestoreUnitOfWork], T]) -> T:
        """Run `fn` in a Firestore transaction, retried on contention; count its writes once committed."""
        attempts: list[_FirestoreUnitOfWork] = []  # one per run of `fn`; the last one is what committed

        @firestore.transactional
        def run(transaction: Transaction) -> T:
            uow = _FirestoreUnitOfWork(self, transaction)
            attempts.append(uow)
            return fn(uow)

        for attempt in itertools.count(1):
            attempts.clear()
            try:
                result = run(self._client.transaction(max_attempts=self._max_attempts))
            except gexc.Aborted as exc:
                # Contention seen by a read (commit-time aborts are retried by `transactional` itself).
                if attempt >= self._max_attempts:
                    raise TransientError("firestore transaction kept contending") from exc
                time.sleep(min(1.0, 0.05 * 2 ** min(attempt, 5)) * (0.5 + random.random()))
                continue
            except gexc.Conflict as exc:  # AlreadyExists: a `create` found its document at commit
                created = attempts[-1].created_ledger if attempts else []
                if created and self._any_exists(created):
                    raise AlreadyRecorded(f"ledger {created[0].id}") from exc
                raise
            except ValueError as exc:
                if isinstance(exc.__cause__, gexc.Aborted):  # `transactional` ran out of attempts
                    raise TransientError("firestore transaction kept contending") from exc
                raise
            except _TRANSIENT as exc:
                raise TransientError(f"firestore unavailable: {type(exc).__name__}") from exc
            self._count(attempts[-1].writes)
            return result
        raise AssertionError("unreachable")

    def _any_exists(self, refs: Sequence[DocumentReference]) -> bool:
        with _translated():
            return any(snap.exists for snap in self._client.get_all(list(refs)))

    def atomically(self, fn: Callable[[UnitOfWork], T]) -> T:
        """Run `fn` in one Firestore transaction; it may run again on contention. AlreadyRecorded propagates."""
        return self._transaction(fn)

    # -- plain single-document operations

    def _get(self, ref: DocumentReference) -> DocumentSnapshot:
        with _translated():
            return ref.get()

    def _set(self, ref: DocumentReference, doc: codec.Doc) -> None:
        with _translated():
            ref.set(doc)
        self._count(1)

    def _delete(self, ref: DocumentReference) -> None:
        with _translated():
            ref.delete()
        self._count(1)

    def _stream(self, query: Query | firestore.CollectionReference) -> list[DocumentSnapshot]:
        with _translated():
            return list(query.stream())

    # -- connections, addresses, brands

    def get_connection(self, address: str) -> Connection | None:
        snap = self._get(self._connection_ref(address))
        return codec.connection_from(snap.to_dict() or {}) if snap.exists else None

    def save_connection(self, connection: Connection) -> None:
        self._set(self._connection_ref(connection.address), codec.connection_doc(connection))

    def list_connections(self) -> list[Connection]:
        query = self._col("connections").order_by("address")
        return [codec.connection_from(s.to_dict() or {}) for s in self._stream(query)]

    def delete_connection(self, address: str) -> None:
        self._delete(self._connection_ref(address))

    def save_support_address(self, address: SupportAddress) -> None:
        self._set(self._col("support_addresses").document(codec.doc_id(address.address)),
                  codec.support_address_doc(address))

    def list_support_addresses(self) -> list[SupportAddress]:
        query = self._col("support_addresses").order_by("address")
        return [codec.support_address_from(s.to_dict() or {}) for s in self._stream(query)]

    def delete_support_address(self, address: str) -> None:
        self._delete(self._col("support_addresses").document(codec.doc_id(address)))

    def save_brand(self, brand: Brand) -> None:
        self._set(self._col("brands").document(codec.doc_id(brand.id)), codec.brand_doc(brand))

    def list_brands(self) -> list[Brand]:
        return [codec.brand_from(s.to_dict() or {}) for s in self._stream(self._col("brands").order_by("id"))]

    # -- ledger

    def ledger_contains(self, connection: str, gmail_message_ids: Sequence[str]) -> set[str]:
        by_doc_id = {codec.ledger_id(connection, i): i for i in dict.fromkeys(gmail_message_ids)}
        refs = [self._col("ledger").document(d) for d in by_doc_id]
        found: set[str] = set()
        for start in range(0, len(refs), _GET_ALL_CHUNK):
            with _translated():
                snaps = list(self._client.get_all(refs[start : start + _GET_ALL_CHUNK], field_paths=["outcome"]))
            found.update(by_doc_id[s.id] for s in snaps if s.exists)
        return found

    def ledger_counts(self, connection: str | None = None) -> dict[Outcome, int]:
        """Every outcome is a key, zero included; one count aggregation per outcome (no documents read)."""
        counts = dict.fromkeys(Outcome, 0)
        for outcome in Outcome:
            query = self._col("ledger").where(filter=FieldFilter("outcome", "==", str(outcome)))
            if connection is not None:
                query = query.where(filter=FieldFilter("connection", "==", connection))
            with _translated():
                result = query.count(alias="n").get()
            counts[outcome] = int(result[0][0].value)
        return counts

    # -- tickets

    def get_ticket(self, ticket_id: int) -> Ticket | None:
        snap = self._get(self._ticket_ref(ticket_id))
        return codec.ticket_from(snap.to_dict() or {}) if snap.exists else None

    def list_tickets(self, *, limit: int = 50, connection: str | None = None) -> list[Ticket]:
        """Newest first (highest id first; ids only grow)."""
        if connection is None:
            query = self._col("tickets").order_by("id", direction=firestore.Query.DESCENDING)
        else:
            prefix = f"{codec.doc_id(connection)}\n"
            query = (
                self._col("tickets")
                .where(filter=FieldFilter("connection_pos", ">=", prefix))
                .where(filter=FieldFilter("connection_pos", "<", prefix + "~"))
                .order_by("connection_pos", direction=firestore.Query.DESCENDING)
            )
        return [codec.ticket_from(s.to_dict() or {}) for s in self._stream(query.limit(limit))]

    def comments(self, ticket_id: int) -> list[Comment]:
        """Oldest first, then in insertion order. A ticket's comments are read whole anyway, so they are
        sorted here rather than by a query that would need a composite index."""
        snaps = self._stream(self._ticket_ref(ticket_id).collection("comments"))
        snaps.sort(key=lambda s: codec.comment_order(s.to_dict() or {}))
        return [self._comment_from(s) for s in snaps]

    def list_quarantine(self, *, limit: int = 50) -> list[QuarantineRecord]:
        """Newest first (by created_at, then by when it was stored; records without a time last)."""
        query = self._col("quarantine").order_by("sort_key", direction=firestore.Query.DESCENDING).limit(limit)
        with _translated():
            return [self._quarantine_from(s) for s in self._stream(query)]

    def list_suspended(self, *, limit: int = 50) -> list[SuspendedMail]:
        """Newest first (by created_at, then by when it was stored)."""
        query = self._col("suspended").order_by("sort_key", direction=firestore.Query.DESCENDING).limit(limit)
        return [codec.suspended_from(s.to_dict() or {}) for s in self._stream(query)]

    def recent_mail_count(self, sender: str, since: datetime) -> int:
        """A count aggregation over one range of `sender_pos` (see codec.ledger_doc): index entries are
        counted server-side, no document is read, and no composite index is needed."""
        prefix = codec.sender_prefix(sender)
        query = (
            self._col("ledger")
            .where(filter=FieldFilter("sender_pos", ">=", prefix + codec.time_key(since)))
            .where(filter=FieldFilter("sender_pos", "<", prefix + "~"))  # '~' sorts after every time character
        )
        with _translated():
            result = query.count(alias="n").get()
        return int(result[0][0].value)

    # -- the outbox

    def get_notification(self, notification_id: str) -> Notification | None:
        snap = self._get(self._notification_ref(notification_id))
        return outbox_codec.notification_from(snap.to_dict() or {}) if snap.exists else None

    def list_notifications(
        self, *, states: Sequence[NotificationState] = (), ticket_id: int | None = None, limit: int = 100,
        oldest_first: bool = False,
    ) -> list[Notification]:
        """Newest first (created_at, then id; records without a time last), or oldest first.

        Each query has at most one filter and never orders by another field, so the automatic single-field
        indexes serve it (no composite index, see REQUIRED_INDEXES). With a filter, every match is read and
        sorted here before `limit` applies: fine for one ticket's few records and for the live states (queued,
        sending, failed), but it reads them all, so listing `sent` grows with the history.
        """
        wanted = list(dict.fromkeys(str(s) for s in states))
        col = self._col("outbox")
        if ticket_id is None and not wanted:
            # Ties on created_at fall to the document id, which is the notification id (notification_id's
            # characters are all safe for doc_id), descending like the order asked for.
            direction = firestore.Query.ASCENDING if oldest_first else firestore.Query.DESCENDING
            query = col.order_by("created_at", direction=direction).limit(limit)
            docs = [s.to_dict() or {} for s in self._stream(query)]
        elif ticket_id is not None:
            query = col.where(filter=FieldFilter("ticket_id", "==", int(ticket_id)))
            docs = [s.to_dict() or {} for s in self._stream(query)]
            if wanted:  # both filters: one ticket's records are few, so its states are picked here
                docs = [d for d in docs if d.get("state") in wanted]
        else:
            docs = []
            for start in range(0, len(wanted), _IN_LIMIT):
                query = col.where(filter=FieldFilter("state", "in", wanted[start : start + _IN_LIMIT]))
                docs.extend(s.to_dict() or {} for s in self._stream(query))
        ordered = _oldest_first(docs) if oldest_first else _newest_first(docs)
        return [outbox_codec.notification_from(d) for d in ordered[:limit]]

    def get_send_window(self, address: str) -> SendWindow:
        return _send_window(address, self._get(self._send_window_ref(address)))

    def record_gmail_sends(self, address: str, at: datetime, recipients: int) -> None:
        """One server-side Increment on the hour's bucket, merged into the window document: no read and no
        transaction, so an account's concurrent senders never contend on this (hot) document. Buckets that left
        the window are pruned by the sweep (`SendWindow.prune`), not here."""
        if recipients < 0:
            raise ValueError("recipients cannot be negative")
        hour = outbox_codec.ts(bucket_of(at))
        doc = {"address": address, "buckets": {hour: firestore.Increment(recipients)}}
        with _translated():
            self._send_window_ref(address).set(doc, merge=True)  # merge: nested keys are not field paths here
        self._count(1)

    # -- OAuth flows

    def _oauth_flow_ref(self, nonce: str) -> DocumentReference:
        return self._col("oauth_flows").document(codec.doc_id(nonce))

    def save_oauth_flow(self, flow: OAuthFlow) -> None:
        """Insert or replace by nonce."""
        self._set(self._oauth_flow_ref(flow.nonce), codec.oauth_flow_doc(flow))

    def take_oauth_flow(self, nonce: str, now: datetime) -> OAuthFlow | None:
        """Read and delete in one transaction: of concurrent takers, the others' transactions retry, find the
        document gone, and get None."""
        ref = self._oauth_flow_ref(nonce)
        moment = codec.utc(now)
        assert moment is not None

        def take(uow: _FirestoreUnitOfWork) -> OAuthFlow | None:
            snap = uow.read(ref)
            if not snap.exists:
                return None
            flow = codec.oauth_flow_from(snap.to_dict() or {})
            uow.delete(ref)
            return flow if flow.expires_at > moment else None

        return self._transaction(take)

    # -- leases

    def try_lease(self, key: str, holder: str, now: datetime, ttl_seconds: float) -> bool:
        ref = self._col("leases").document(codec.doc_id(key))
        expires_at = codec.utc(now + timedelta(seconds=ttl_seconds))

        def take(uow: _FirestoreUnitOfWork) -> bool:
            snap = uow.read(ref)
            lease = (snap.to_dict() or {}) if snap.exists else None
            fresh = {"key": key, "holder": holder, "expires_at": expires_at, "look_again": False}
            if lease is None:
                uow.set(ref, fresh)
                return True
            if lease.get("holder") == holder:  # re-entrant: extend, and keep any mark others left meanwhile
                uow.set(ref, {**fresh, "look_again": bool(lease.get("look_again"))})
                return True
            lease_end = codec.utc(lease.get("expires_at"))
            if lease_end is None or lease_end <= codec.utc(now):  # type: ignore[operator]
                # The old holder is gone; whoever takes over syncs anyway, so its mark is spent.
                uow.set(ref, fresh)
                return True
            if not lease.get("look_again"):
                uow.update(ref, {"look_again": True})
            return False

        return self._transaction(take)

    def release_lease(self, key: str, holder: str) -> bool:
        ref = self._col("leases").document(codec.doc_id(key))

        def release(uow: _FirestoreUnitOfWork) -> bool:
            snap = uow.read(ref)
            if not snap.exists or snap.get("holder") != holder:
                return False  # not ours (expired and taken over): leave the new holder alone
            if snap.get("look_again"):
                uow.update(ref, {"look_again": False})
                return True
            uow.delete(ref)
            return False

        return self._transaction(release)
