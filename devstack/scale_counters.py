"""What one piece of work costs the store, counted where the bill is made: the wire for Firestore, the SQL
statements for SQLite. `gmail-tickets bench scale` reads these around a sweep tick and an active run.

Firestore bills documents, not calls: a Commit's writes (a delete is billed apart, so it is counted apart), the
documents a BatchGetDocuments returns (missing ones too) and a RunQuery returns (at least one per query). A
"transaction" is one atomic commit: a Commit call, whether it ends a read-write transaction or writes alone under a
precondition (the store's leases are compare-and-set writes, no BeginTransaction). `round_trips` counts every call
to the server (what a mail's wall time is made of on the emulator), `aborted` the commits refused with ABORTED.
`CountingFirestoreClient` is a `firestore.Client` whose emulator channel is intercepted, so the product's Firestore
store runs unchanged on top of it. SQLite: a trace callback on every connection the store opens classifies each
statement (SELECT read, INSERT/UPDATE/DELETE write, BEGIN transaction).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from typing import Any

import grpc
from google.cloud import firestore

_SERVICE = "/google.firestore.v1.Firestore/"


@dataclass(frozen=True)
class StoreCounts:
    reads: int = 0
    writes: int = 0  # documents or rows written, deletes included
    deletes: int = 0  # of which deletes (Firestore bills them at their own price)
    transactions: int = 0
    round_trips: int = 0  # Firestore: calls to the server, whatever they are (SQLite: 0)
    aborted: int = 0  # Firestore: commits refused for contention or a lock (Aborted); SQLite: 0

    def __sub__(self, other: StoreCounts) -> StoreCounts:
        return StoreCounts(**{f.name: getattr(self, f.name) - getattr(other, f.name) for f in fields(self)})


class Tally:
    """Thread-safe counts, read as a `StoreCounts` snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = {f.name: 0 for f in fields(StoreCounts)}
        self._by_kind: Counter[str] = Counter()  # writes by top-level collection (Firestore) or table (SQLite)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                self._counts[name] += n

    def add_kinds(self, kinds: Iterable[str]) -> None:
        with self._lock:
            self._by_kind.update(kinds)

    def snapshot(self) -> StoreCounts:
        with self._lock:
            return StoreCounts(**self._counts)

    def kinds(self) -> Counter[str]:
        """Writes so far by where they went: what a per-ticket figure is made of."""
        with self._lock:
            return Counter(self._by_kind)


def _pb(message: Any) -> Any:
    """The protobuf behind a proto-plus message (the GAPIC client hands those to interceptors)."""
    to_pb = getattr(type(message), "pb", None)
    return to_pb(message) if callable(to_pb) else message


def count_commit(tally: Tally, request: Any) -> None:
    writes = list(_pb(request).writes)
    deletes = sum(1 for w in writes if w.WhichOneof("operation") == "delete")
    tally.add(writes=len(writes), deletes=deletes)
    tally.add_kinds(_collection(w) for w in writes)


def _collection(write: Any) -> str:
    """The top-level collection a Write goes to ("leases", "changes", ...), a delete marked as such."""
    operation = write.WhichOneof("operation")
    name = write.delete if operation == "delete" else write.update.name
    path = name.split("/documents/", 1)[-1].split("/")
    return f"{path[0]} (delete)" if operation == "delete" else path[0]


def count_response(method: str, response: Any) -> int:
    """Documents a streamed read returned in this response."""
    pb = _pb(response)
    if method == "BatchGetDocuments":
        found = pb.WhichOneof("result")
        return 1 if found in ("found", "missing") else 0
    if method == "RunQuery":
        return 1 if pb.HasField("document") else 0
    return 0


class _CountedStream:
    """The streamed answer, each document counted as it arrives (a caller may stop reading after the first);
    anything else is the call's own."""

    def __init__(self, call: Any, method: str, tally: Tally) -> None:
        self._call, self._method, self._tally = call, method, tally
        self._documents = 0

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        response = next(self._call)
        documents = count_response(self._method, response)
        if documents:
            self._documents += documents
            # A query is billed one read even when it finds nothing: that one was counted when it was sent.
            if not (self._method == "RunQuery" and self._documents == 1):
                self._tally.add(reads=documents)
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._call, name)


class FirestoreCallCounter(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def __init__(self, tally: Tally) -> None:
        self.tally = tally

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        method = details.method.removeprefix(_SERVICE)
        outcome = continuation(details, request)
        self.tally.add(round_trips=1)
        if method in ("Commit", "BatchWrite"):
            count_commit(self.tally, request)
            self.tally.add(transactions=1)
            if _aborted(outcome):
                self.tally.add(aborted=1)
        return outcome

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        method = details.method.removeprefix(_SERVICE)
        call = continuation(details, request)
        self.tally.add(round_trips=1)
        if method == "RunQuery":
            self.tally.add(reads=1)  # the least a query is billed
        if method in ("RunQuery", "BatchGetDocuments"):
            return _CountedStream(call, method, self.tally)
        if method == "RunAggregationQuery":
            self.tally.add(reads=1)  # billed per 1,000 index entries, at least one read
        return call


def _aborted(outcome: Any) -> bool:
    """Whether a finished unary call failed with ABORTED (contention, or a lock waited out)."""
    try:
        failed = outcome.exception()
    except Exception:  # a call that cannot say is not counted
        return False
    return isinstance(failed, grpc.Call) and failed.code() == grpc.StatusCode.ABORTED


class CountingFirestoreClient(firestore.Client):
    """A Firestore client (emulator only) whose every call passes `FirestoreCallCounter`."""

    def __init__(self, project: str, tally: Tally) -> None:
        super().__init__(project=project)
        self.tally = tally

    def _emulator_channel(self, transport: Any) -> Any:
        return grpc.intercept_channel(super()._emulator_channel(transport), FirestoreCallCounter(self.tally))


def classify_statement(sql: str) -> dict[str, int]:
    """What one traced SQLite statement counts as. Statements run by triggers come prefixed with `--`: they are
    part of the statement that fired them."""
    word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    if word in ("SELECT", "WITH"):
        return {"reads": 1}
    if word == "DELETE":
        return {"writes": 1, "deletes": 1}
    if word in ("INSERT", "UPDATE", "REPLACE"):
        return {"writes": 1}
    if word == "BEGIN":
        return {"transactions": 1}
    return {}


def count_sqlite(database: Any, tally: Tally) -> None:
    """Trace every connection `database` (the SQLite store's `SqliteDatabase`) opens from now on; the pooled ones
    opened before are closed so that none goes uncounted."""
    open_plain = database._open

    def traced() -> sqlite3.Connection:
        connection = open_plain()
        connection.set_trace_callback(lambda sql: _trace(tally, sql))
        return connection

    database._open = traced
    with database._lock:
        idle, database._idle = database._idle, []
    for connection in idle:
        connection.close()


def _trace(tally: Tally, sql: str) -> None:
    counts = classify_statement(sql)
    tally.add(**counts)
    if counts.get("writes"):
        tally.add_kinds([statement_table(sql)])


def statement_table(sql: str) -> str:
    """The table a write statement goes to ("leases", "tickets_fts", ...): INSERT INTO t, UPDATE t, DELETE FROM t."""
    words = sql.replace("(", " ").split()
    upper = [w.upper() for w in words]
    for anchor in ("INTO", "FROM", "UPDATE"):
        if anchor in upper and upper.index(anchor) + 1 < len(words):
            return words[upper.index(anchor) + 1].strip('"')
    return upper[0].lower() if upper else "?"
