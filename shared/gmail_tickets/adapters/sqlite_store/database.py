"""The SQLite file: a small pool of connections and the write transaction every change runs in.

Why it is built this way:
- WAL mode with synchronous=NORMAL: readers never block the writer, and a commit survives a process crash
  (only an OS crash can lose the last commits, never corrupt the file).
- A small pool of connections (check_same_thread=False, each used by one thread at a time): threads read in
  parallel, and a thread-per-request web server does not leak one connection per thread it ever ran.
- The file is created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the database's own
  mode, so all three are readable by the service's user only, without touching the process-wide umask.
- Every write runs in BEGIN IMMEDIATE, so SQLite serialises writers up front (no retry loop, no upgrade
  deadlock); busy_timeout makes other processes on the same file wait their turn instead of failing.
- Writers of this process queue on a lock of their own before BEGIN IMMEDIATE: SQLite's busy handler waits by
  sleeping (1, 2, 5, 10 ms ...) and trying again, so threads of one process contending for the write lock would
  sleep past each other's short transactions; on the lock each starts the moment the previous one commits.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from gmail_tickets.adapters.private_files import FILE_MODE, private_file, tighten
from gmail_tickets.adapters.sqlite_store.schema import migrate
from gmail_tickets.adapters.sqlite_store.search_index import register_functions
from gmail_tickets.adapters.sqlite_store.tx import SqliteTx
from gmail_tickets.errors import TransientError

T = TypeVar("T")
U = TypeVar("U", bound=SqliteTx)

log = logging.getLogger(__name__)

_MAX_IDLE = 8  # pooled connections kept open between uses
_MEMORY = ":memory:"


class SqliteDatabase:
    """One SQLite file (or ":memory:", one connection used by one thread at a time), migrated on open.
    Thread-safe; several processes may share the file."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_seconds: float = 30.0) -> None:
        self.path = os.fspath(path)
        self.write_count = 0
        self._busy_timeout = busy_timeout_seconds
        self._lock = threading.Lock()  # guards the pool and write_count
        self._write_turn = threading.RLock()  # this process's writers, one at a time (see the module's docstring)
        self._idle: list[sqlite3.Connection] = []
        self._closed = False
        self._memory = self.path == _MEMORY
        # An in-memory database lives in its one connection: hand that out to one user at a time.
        self._memory_turn = threading.Lock() if self._memory else None
        if not self._memory:
            private_file(self.path)
            for companion in ("-wal", "-shm", "-journal"):  # left by an older run or another tool
                tighten(self.path + companion, FILE_MODE)
        with self._connection() as db:
            found = migrate(db)
        log.debug("sqlite store opened (schema was at version %d)", found)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        db.row_factory = sqlite3.Row
        register_functions(db)
        db.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
        db.execute("PRAGMA foreign_keys = ON")  # checked by tables of files not yet at migration 6 (it has none)
        if not self._memory:
            db.execute("PRAGMA journal_mode = WAL")  # persistent in the file; cheap to repeat
        db.execute("PRAGMA synchronous = NORMAL")
        return db

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """Borrow a pooled connection; SQLite lock timeouts surface as TransientError (retry later)."""
        if self._memory_turn is not None:
            self._memory_turn.acquire()
        try:
            with self._lock:
                if self._closed:
                    raise RuntimeError("SqliteStore is closed")
                db = self._idle.pop() if self._idle else None
            if db is None:
                db = self._open()
            try:
                yield db
            except sqlite3.OperationalError as e:
                if "locked" in str(e) or "busy" in str(e):
                    raise TransientError(f"sqlite store busy: {e}") from e
                raise
            finally:
                if db.in_transaction:  # only after a failed ROLLBACK; never hand on an open transaction
                    db.close()
                else:
                    with self._lock:
                        keep = not self._closed and len(self._idle) < _MAX_IDLE
                        if keep:
                            self._idle.append(db)
                    if not keep:
                        db.close()
        finally:
            if self._memory_turn is not None:
                self._memory_turn.release()

    def close(self) -> None:
        """Close pooled connections; connections in use close when given back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()

    def transaction(self, make: Callable[[sqlite3.Connection], U], fn: Callable[[U], T]) -> T:
        """Run `fn` over `make(connection)` in one BEGIN IMMEDIATE transaction; count its writes once committed."""
        with self._write_turn, self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            tx = make(db)
            try:
                result = fn(tx)
                tx.before_commit()  # type: ignore[attr-defined]  # every unit is a SqliteTx
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:  # SQLite may have rolled back already (e.g. disk full)
                    db.execute("ROLLBACK")
                raise
            if tx.writes:
                with self._lock:
                    self.write_count += tx.writes
            return result

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._connection() as db:
            return db.execute(sql, params).fetchall()
