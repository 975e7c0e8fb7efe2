"""The one transaction object the Firestore store's role modules share, and how a function runs in it.

`run` runs the function in a Firestore transaction (`@firestore.transactional`): reads go through the
transaction, writes are buffered on it, and a ledger entry is a `create`, which fails at commit when the entry
exists. That failure is re-checked and surfaces as AlreadyRecorded, with nothing of the unit written.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.document import DocumentReference, DocumentSnapshot
from google.cloud.firestore_v1.query import Query
from google.cloud.firestore_v1.transaction import Transaction

from gmail_tickets.adapters import records
from gmail_tickets.adapters.firestore_store.client import TRANSIENT, translated
from gmail_tickets.errors import AlreadyRecorded, TransientError

if TYPE_CHECKING:
    from gmail_tickets.adapters.firestore_store.store import FirestoreStore

T = TypeVar("T")
R = TypeVar("R")
Doc = dict[str, Any]


class FirestoreTx:
    """One attempt of one transaction: reads through it, writes buffered on it, writes counted.

    A fresh one is made for every attempt, so nothing from an aborted attempt leaks into the next.
    """

    def __init__(self, store: FirestoreStore, transaction: Transaction) -> None:
        self._store = store
        self._tx = transaction
        self.writes = 0
        # What this attempt read or created of the ledger and tickets: kept here, on the one object every role's
        # writes go through, so create-if-absent and put-only-existing can be judged without another read.
        self.created_ledger: list[DocumentReference] = []
        self._created_ids: set[str] = set()
        self._ledger_seen: dict[str, bool] = {}  # doc id -> exists, from reads in this attempt
        self._tickets_seen: dict[int, bool] = {}  # ticket id -> exists, from reads in this attempt

    def read(self, ref: DocumentReference) -> DocumentSnapshot:
        return next(iter(self._tx.get(ref)))

    def read_record(self, cls: type[R], ref: DocumentReference) -> R | None:
        snap = self.read(ref)
        return records.from_doc(cls, snap.to_dict() or {}) if snap.exists else None

    def query(self, query: Query) -> list[DocumentSnapshot]:
        """A query run OUTSIDE the transaction, then the documents it found read again INSIDE it.

        Why not a transactional query: a query in a pessimistic transaction locks more than its documents (the
        Firestore emulator locks the whole collection), and a process killed mid-transaction leaves those locks
        until the transaction idles out (~60 s on the emulator): every mailbox's ingest, which writes to the
        same collection, would wait that long. Document reads lock their documents only. What this gives up is
        phantom protection (an entry another transaction creates meanwhile is not seen): mail of one mailbox is
        ingested by one sync at a time (its sync lease), which is what makes that safe here."""
        found = self._store._stream(query)
        if not found:
            return []
        snaps = {snap.reference.path: snap for snap in self._tx.get_all([s.reference for s in found])}
        return [snaps[s.reference.path] for s in found if snaps[s.reference.path].exists]

    def set(self, ref: DocumentReference, doc: Doc) -> None:
        self._tx.set(ref, doc)
        self.writes += 1

    def create(self, ref: DocumentReference, doc: Doc) -> None:
        self._tx.create(ref, doc)
        self.writes += 1

    def delete(self, ref: DocumentReference) -> None:
        self._tx.delete(ref)
        self.writes += 1


def run(store: FirestoreStore, make: Callable[[FirestoreStore, Transaction], FirestoreTx],
        fn: Callable[[Any], T], max_attempts: int) -> tuple[T, int]:
    """Run `fn` in a Firestore transaction, retried on contention; return its result and the writes of the
    attempt that committed."""
    attempts: list[FirestoreTx] = []  # one per run of `fn`; the last one is what committed

    @firestore.transactional
    def attempt_once(transaction: Transaction) -> T:
        tx = make(store, transaction)
        attempts.append(tx)
        return fn(tx)

    for attempt in itertools.count(1):
        attempts.clear()
        try:
            result = attempt_once(store.client.transaction(max_attempts=max_attempts))
        except gexc.Aborted as exc:
            # Contention seen by a read (commit-time aborts are retried by `transactional` itself).
            if attempt >= max_attempts:
                raise TransientError("firestore transaction kept contending") from exc
            time.sleep(min(1.0, 0.05 * 2 ** min(attempt, 5)) * (0.5 + random.random()))
            continue
        except gexc.Conflict as exc:  # AlreadyExists: a `create` found its document at commit
            created = attempts[-1].created_ledger if attempts else []
            if created and _any_exists(store, created):
                raise AlreadyRecorded(f"ledger {created[0].id}") from exc
            raise
        except ValueError as exc:
            if isinstance(exc.__cause__, gexc.Aborted):  # `transactional` ran out of attempts
                raise TransientError("firestore transaction kept contending") from exc
            raise
        except TRANSIENT as exc:
            raise TransientError(f"firestore unavailable: {type(exc).__name__}") from exc
        return result, attempts[-1].writes
    raise AssertionError("unreachable")


def _any_exists(store: FirestoreStore, refs: Sequence[DocumentReference]) -> bool:
    with translated():
        return any(snap.exists for snap in store.client.get_all(list(refs)))
