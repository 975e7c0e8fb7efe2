"""The one transaction object the Firestore store's role modules share, and how a function runs in it.

`run` runs the function in a Firestore transaction (`@firestore.transactional`): reads go through the
transaction, writes are buffered on it, and a ledger entry is a `create`, which fails at commit when the entry
exists. That failure is re-checked and surfaces as AlreadyRecorded, with nothing of the unit written.

Contention is retried (`max_attempts`), but a lock timeout only a few times (LOCK_TIMEOUT_ATTEMPTS), then it is
a TransientError: a lock that outlasts the 2 s wait is most likely a dead client's (a process killed inside a
transaction), which holds it until the transaction idles out (~60 s on the emulator, as in real Firestore's
pessimistic mode). Waiting that out would pin the request, and with it a single-request function instance;
failing (DocumentsLocked) lets the caller go on with other work: a sync holds back that one mail and records the
rest, and the event comes back for it.

The transaction begins at its first read, not before: a unit that reads nothing (a new ticket: its ledger entry is
a `create`, its lookups queries run outside) commits its writes as one atomic batch, with no BeginTransaction and
no locks held — one round trip instead of two, and nothing a killed client could leave locked. Its `create`
preconditions still fail the whole commit when the ledger entry exists.
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
from gmail_tickets.errors import AlreadyRecorded, DocumentsLocked, TransientError

if TYPE_CHECKING:
    from gmail_tickets.adapters.firestore_store.store import FirestoreStore

T = TypeVar("T")
R = TypeVar("R")
Doc = dict[str, Any]

LOCK_TIMEOUT_ATTEMPTS = 3  # each waits the emulator's 2 s lock timeout: give up after about 6 s


class _LockTimeout(Exception):
    """A commit that waited out another transaction's lock: raised instead of Aborted, so `transactional`
    does not retry it on the spot (it retries every Aborted commit, up to `max_attempts` times)."""


class LazyTransaction(Transaction):
    """A transaction that begins at its first read (`ensure_begun`); one that never read commits its writes as a
    plain atomic commit."""

    _lazy = False  # `transactional` asked it to begin; it has not yet (no read so far)
    _lazy_retry_id: bytes | None = None
    _first_id: bytes | None = None  # a retry names the first attempt's id: it keeps that one's place in line

    def _begin(self, retry_id: bytes | None = None) -> None:
        self._lazy, self._lazy_retry_id = True, retry_id

    def ensure_begun(self) -> None:
        if self._lazy:
            self._lazy = False
            super()._begin(retry_id=self._lazy_retry_id or self._first_id)
            self._first_id = self._first_id or self._id

    def _rollback(self) -> None:
        if not self.in_progress:  # never begun (or committed unbegun): nothing on the server to roll back
            self._lazy = False
            self._clean_up()
            return
        super()._rollback()

    def _commit(self) -> list[Any]:
        try:
            if self._lazy:
                return self._commit_unbegun()
            return super()._commit()
        except gexc.Aborted as exc:
            if _is_lock_timeout(exc):
                raise _LockTimeout(str(exc)) from exc
            raise

    def _commit_unbegun(self) -> list[Any]:
        """The buffered writes in one Commit outside any transaction: atomic, preconditions checked."""
        self._lazy = False
        if not self._write_pbs:  # read nothing, wrote nothing: no round trip
            self._clean_up()
            self.write_results = []
            return self.write_results
        response = self._client._firestore_api.commit(
            request={"database": self._client._database_string, "writes": self._write_pbs},
            metadata=self._client._rpc_metadata,
        )
        self._clean_up()
        self.write_results = list(response.write_results)
        self.commit_time = response.commit_time
        return self.write_results


def _is_lock_timeout(exc: BaseException) -> bool:
    return isinstance(exc, gexc.Aborted) and "lock timeout" in str(exc).lower()


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
        self.touched_tickets: set[int] = set()  # tickets whose records this attempt wrote: their change marks
        self.created_tickets: set[int] = set()  # of which made here: no mark of their own (domain/change_marks.py)

    def _begun(self) -> None:
        """Begin a lazy transaction before its first read (a plain one is begun by whoever made it)."""
        if isinstance(self._tx, LazyTransaction):
            self._tx.ensure_begun()

    def read(self, ref: DocumentReference) -> DocumentSnapshot:
        self._begun()
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
        self._begun()
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


def run(store: FirestoreStore, make: Callable[[FirestoreStore, LazyTransaction], FirestoreTx],
        fn: Callable[[Any], T], max_attempts: int) -> tuple[T, FirestoreTx]:
    """Run `fn` in a Firestore transaction, retried on contention; return its result and the attempt that
    committed (its writes, the tickets it touched)."""
    attempts: list[FirestoreTx] = []  # one per run of `fn`; the last one is what committed

    @firestore.transactional
    def attempt_once(transaction: LazyTransaction) -> T:
        tx = make(store, transaction)
        attempts.append(tx)
        return fn(tx)

    lock_timeouts = 0
    for attempt in itertools.count(1):
        attempts.clear()
        try:
            result = attempt_once(LazyTransaction(store.client, max_attempts=max_attempts))
        except (gexc.Aborted, _LockTimeout) as exc:
            # Contention seen by a read, or a lock waited out (commit-time contention is retried by
            # `transactional` itself).
            locked = isinstance(exc, _LockTimeout) or _is_lock_timeout(exc)
            lock_timeouts += locked
            if locked and lock_timeouts >= LOCK_TIMEOUT_ATTEMPTS:
                raise DocumentsLocked("firestore documents stayed locked (a dead transaction's?)") from exc
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
        return result, attempts[-1]
    raise AssertionError("unreachable")


def _any_exists(store: FirestoreStore, refs: Sequence[DocumentReference]) -> bool:
    with translated():
        return any(snap.exists for snap in store.client.get_all(list(refs)))
