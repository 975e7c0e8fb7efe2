"""The embedded Store: one SQLite file, for running the whole product on one machine.

Why it is built this way:
- WAL mode with synchronous=NORMAL: readers never block the writer, and a commit survives a process crash
  (only an OS crash can lose the last commits, never corrupt the file).
- A small pool of connections (check_same_thread=False, each used by one thread at a time): threads read in
  parallel, and a thread-per-request web server does not leak one connection per thread it ever ran.
- Every write runs in BEGIN IMMEDIATE, so SQLite serialises writers up front (no retry loop, no upgrade
  deadlock); busy_timeout makes other processes on the same file wait their turn instead of failing.
- The ledger doubles as the thread index (see sqlite_schema), keeping a new ticket at 3 row writes.
Nothing here logs mail content or secrets.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from gmail_tickets.adapters import outbox_codec
from gmail_tickets.adapters.sqlite_schema import migrate
from gmail_tickets.domain.model import (
    AccountKind,
    AddressKind,
    Attachment,
    Brand,
    Comment,
    Connection,
    ConnectionStatus,
    LedgerEntry,
    OAuthFlow,
    Outcome,
    QuarantineRecord,
    SupportAddress,
    SuspendedMail,
    Ticket,
)
from gmail_tickets.domain.outbox import Notification, NotificationState, SendWindow
from gmail_tickets.errors import AlreadyRecorded, TransientError
from gmail_tickets.ports import UnitOfWork

T = TypeVar("T")

log = logging.getLogger(__name__)

_CHUNK = 500  # bound parameters per IN (...) query; well under SQLite's limit on any build
_MAX_IDLE = 8  # pooled connections kept open between uses
_MEMORY = ":memory:"
RECENT_MAIL_COUNT_SQL = "SELECT COUNT(*) FROM ledger WHERE sender = ? AND created_at >= ?"
"""Public so a test can check that the ledger_by_sender index serves it."""


# --------------------------------------------------------------------------- conversions


def _utc(value: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(value: datetime | None) -> str | None:
    """Fixed-width ISO 8601 in UTC, so text order is time order."""
    return None if value is None else _utc(value).isoformat(timespec="microseconds")


def _dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


def _connection_row(c: Connection) -> tuple[Any, ...]:
    return (
        c.address, c.brand_id, str(c.status), str(c.account_kind), c.history_id, _ts(c.watch_expiration),
        c.label_id, int(c.send_via_gmail), _ts(c.last_sync_at), c.last_error, json.dumps(list(c.warnings)),
        _ts(c.created_at), _ts(c.disconnected_at), c.import_total, c.import_done,
    )


_CONNECTION_COLUMNS = (
    "address, brand_id, status, account_kind, history_id, watch_expiration, label_id, send_via_gmail, "
    "last_sync_at, last_error, warnings, created_at, disconnected_at, import_total, import_done"
)


def _connection(row: sqlite3.Row) -> Connection:
    return Connection(
        address=row["address"],
        brand_id=row["brand_id"],
        status=ConnectionStatus(row["status"]),
        account_kind=AccountKind(row["account_kind"]),
        history_id=row["history_id"],
        watch_expiration=_dt(row["watch_expiration"]),
        label_id=row["label_id"],
        send_via_gmail=bool(row["send_via_gmail"]),
        last_sync_at=_dt(row["last_sync_at"]),
        last_error=row["last_error"],
        warnings=list(json.loads(row["warnings"])),
        created_at=_dt(row["created_at"]),
        disconnected_at=_dt(row["disconnected_at"]),
        import_total=int(row["import_total"]),
        import_done=int(row["import_done"]),
    )


_OAUTH_FLOW_COLUMNS = (
    "nonce, session_id, address, brand_id, import_recent, code_verifier, redirect_uri, created_at, expires_at, "
    "reconnect"
)


def _oauth_flow_row(f: OAuthFlow) -> tuple[Any, ...]:
    return (
        f.nonce, f.session_id, f.address, f.brand_id, int(f.import_recent), f.code_verifier, f.redirect_uri,
        _ts(f.created_at), _ts(f.expires_at), int(f.reconnect),
    )


def _oauth_flow(row: sqlite3.Row) -> OAuthFlow:
    return OAuthFlow(
        nonce=row["nonce"],
        session_id=row["session_id"],
        address=row["address"],
        brand_id=row["brand_id"],
        import_recent=bool(row["import_recent"]),
        code_verifier=row["code_verifier"],
        redirect_uri=row["redirect_uri"],
        created_at=_dt(row["created_at"]),  # type: ignore[arg-type]  # NOT NULL column
        expires_at=_dt(row["expires_at"]),  # type: ignore[arg-type]  # NOT NULL column
        reconnect=bool(row["reconnect"]),
    )


def _ticket(row: sqlite3.Row) -> Ticket:
    return Ticket(
        id=row["id"],
        subject=row["subject"],
        requester=row["requester"],
        connection=row["connection"],
        brand_id=row["brand_id"],
        requester_name=row["requester_name"],
        followers=list(json.loads(row["followers"])),
        status=row["status"],
        created_at=_dt(row["created_at"]),
        suppress_triggers=bool(row["suppress_triggers"]),
        gmail_thread_id=row["gmail_thread_id"],
    )


def _attachments_json(attachments: Sequence[Attachment]) -> str:
    return json.dumps([
        {"filename": a.filename, "content_type": a.content_type, "size": a.size, "blob_key": a.blob_key,
         "content_id": a.content_id, "inline": a.inline}
        for a in attachments
    ])


def _attachment(a: dict[str, Any]) -> Attachment:
    """Tolerates version-1 rows, which hold only filename, content type and size."""
    return Attachment(
        filename=a["filename"], content_type=a["content_type"], size=int(a["size"]), blob_key=a.get("blob_key"),
        content_id=a.get("content_id"), inline=bool(a.get("inline", False)),
    )


def _sender(sender: str | None) -> str | None:
    """Senders are kept lower-cased, so counting them is an exact match that an index serves."""
    return None if sender is None else sender.lower()


def _comment(row: sqlite3.Row) -> Comment:
    return Comment(
        id=row["id"],
        ticket_id=row["ticket_id"],
        author=row["author"],
        body_text=row["body_text"],
        created_at=_dt(row["created_at"]),  # type: ignore[arg-type]  # NOT NULL column
        connection=row["connection"],
        gmail_message_id=row["gmail_message_id"],
        message_id=row["message_id"],
        matched_by=row["matched_by"],
        attachments=[_attachment(a) for a in json.loads(row["attachments"])],
        body_html=row["body_html"],
        author_kind=row["author_kind"],
    )


def _ledger(row: sqlite3.Row) -> LedgerEntry:
    return LedgerEntry(
        connection=row["connection"],
        gmail_message_id=row["gmail_message_id"],
        outcome=Outcome(row["outcome"]),
        ticket_id=row["ticket_id"],
        comment_id=row["comment_id"],
        rfc_message_id=row["rfc_message_id"],
        created_at=_dt(row["created_at"]),
        sender=row["sender"],
        raw_key=row["raw_key"],
    )


def _suspended(row: sqlite3.Row) -> SuspendedMail:
    return SuspendedMail(
        id=row["id"],
        connection=row["connection"],
        gmail_message_id=row["gmail_message_id"],
        sender=row["sender"],
        subject=row["subject"],
        reason=row["reason"],
        created_at=_dt(row["created_at"]),  # type: ignore[arg-type]  # NOT NULL column
        raw_key=row["raw_key"],
    )


def _quarantine(row: sqlite3.Row) -> QuarantineRecord:
    return QuarantineRecord(
        id=row["id"],
        connection=row["connection"],
        reason=row["reason"],
        raw=bytes(row["raw"]),
        source=row["source"],
        gmail_message_id=row["gmail_message_id"],
        created_at=_dt(row["created_at"]),
    )


def _brand(row: sqlite3.Row) -> Brand:
    return Brand(id=row["id"], name=row["name"], ack_template=row["ack_template"])


def _notification(row: sqlite3.Row) -> Notification:
    return outbox_codec.notification_from(json.loads(row["doc"]))


def _send_window(address: str, row: sqlite3.Row | None) -> SendWindow:
    """An account that never sent has no row: its window is empty, not missing."""
    return SendWindow(address) if row is None else outbox_codec.send_window_from(json.loads(row["doc"]))


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _marks(n: int) -> str:
    return ",".join("?" * n)


# --------------------------------------------------------------------------- unit of work


class _SqliteUnitOfWork:
    """Reads and writes inside one BEGIN IMMEDIATE transaction; counts the rows it writes."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self.writes = 0

    def _write(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        cur = self._db.execute(sql, params)
        self.writes += max(cur.rowcount, 0)
        return cur

    # -- reads

    def get_connection(self, address: str) -> Connection | None:
        row = self._db.execute(
            f"SELECT {_CONNECTION_COLUMNS} FROM connections WHERE address = ?", (address,)
        ).fetchone()
        return None if row is None else _connection(row)

    def get_ledger(self, connection: str, gmail_message_id: str) -> LedgerEntry | None:
        row = self._db.execute(
            "SELECT * FROM ledger WHERE connection = ? AND gmail_message_id = ?", (connection, gmail_message_id)
        ).fetchone()
        return None if row is None else _ledger(row)

    def ticket_for_thread(self, connection: str, thread_id: str) -> int | None:
        # The latest entry wins: a thread whose ticket was followed up by a new one belongs to the new one.
        row = self._db.execute(
            "SELECT ticket_id FROM ledger WHERE connection = ? AND thread_id = ? AND thread_id IS NOT NULL "
            "AND ticket_id IS NOT NULL ORDER BY rowid DESC LIMIT 1",
            (connection, thread_id),
        ).fetchone()
        return None if row is None else int(row[0])

    def ticket_for_message_ids(self, message_ids: Sequence[str]) -> int | None:
        ids = list(dict.fromkeys(message_ids))
        found: dict[str, int] = {}
        for chunk in _chunks(ids):
            rows = self._db.execute(
                f"SELECT rfc_message_id, ticket_id FROM ledger WHERE rfc_message_id IN ({_marks(len(chunk))}) "
                "AND rfc_message_id IS NOT NULL AND ticket_id IS NOT NULL ORDER BY rowid",
                tuple(chunk),
            ).fetchall()
            for rfc_id, ticket_id in rows:
                found.setdefault(rfc_id, int(ticket_id))
        return next((found[i] for i in ids if i in found), None)

    def get_ticket(self, ticket_id: int) -> Ticket | None:
        row = self._db.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        return None if row is None else _ticket(row)

    def get_lease(self, key: str) -> sqlite3.Row | None:
        return self._db.execute("SELECT * FROM leases WHERE key = ?", (key,)).fetchone()

    def get_notification(self, notification_id: str) -> Notification | None:
        row = self._db.execute("SELECT doc FROM outbox WHERE id = ?", (notification_id,)).fetchone()
        return None if row is None else _notification(row)

    def get_send_window(self, address: str) -> SendWindow:
        return _send_window(address, self._db.execute(
            "SELECT doc FROM send_windows WHERE address = ?", (address,)).fetchone())

    # -- writes

    def put_connection(self, connection: Connection) -> None:
        row = _connection_row(connection)
        updates = ", ".join(f"{c} = excluded.{c}" for c in _CONNECTION_COLUMNS.split(", ")[1:])
        self._write(
            f"INSERT INTO connections ({_CONNECTION_COLUMNS}) VALUES ({_marks(len(row))}) "
            f"ON CONFLICT (address) DO UPDATE SET {updates}",
            row,
        )

    def add_ledger(self, entry: LedgerEntry, *, thread_id: str | None = None) -> None:
        cur = self._write(
            "INSERT INTO ledger (connection, gmail_message_id, outcome, ticket_id, comment_id, rfc_message_id, "
            "thread_id, created_at, sender, raw_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (
                entry.connection, entry.gmail_message_id, str(entry.outcome), entry.ticket_id, entry.comment_id,
                entry.rfc_message_id, thread_id, _ts(entry.created_at), _sender(entry.sender), entry.raw_key,
            ),
        )
        if cur.rowcount == 0:
            raise AlreadyRecorded(f"ledger {entry.connection}:{entry.gmail_message_id}")

    def add_ticket(self, ticket: Ticket) -> int:
        cur = self._write(
            "INSERT INTO tickets (subject, requester, connection, brand_id, requester_name, followers, status, "
            "created_at, suppress_triggers, gmail_thread_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ticket.subject, ticket.requester, ticket.connection, ticket.brand_id, ticket.requester_name,
                json.dumps(list(ticket.followers)), ticket.status, _ts(ticket.created_at),
                int(ticket.suppress_triggers), ticket.gmail_thread_id,
            ),
        )
        ticket.id = int(cur.lastrowid)  # type: ignore[arg-type]  # set by a successful INSERT
        return ticket.id

    def put_ticket(self, ticket: Ticket) -> None:
        # An UPDATE, never an upsert: a missing ticket is the caller's mistake, not a ticket to create.
        if ticket.id is None:
            raise ValueError("put_ticket needs a stored ticket (its id is None)")
        cur = self._write(
            "UPDATE tickets SET subject = ?, requester = ?, connection = ?, brand_id = ?, requester_name = ?, "
            "followers = ?, status = ?, created_at = ?, suppress_triggers = ?, gmail_thread_id = ? WHERE id = ?",
            (
                ticket.subject, ticket.requester, ticket.connection, ticket.brand_id, ticket.requester_name,
                json.dumps(list(ticket.followers)), ticket.status, _ts(ticket.created_at),
                int(ticket.suppress_triggers), ticket.gmail_thread_id, ticket.id,
            ),
        )
        if cur.rowcount == 0:
            raise KeyError(f"ticket {ticket.id}")

    def add_comment(self, comment: Comment) -> str:
        comment_id = uuid.uuid4().hex
        self._write(
            "INSERT INTO comments (id, ticket_id, author, body_text, created_at, connection, gmail_message_id, "
            "message_id, matched_by, attachments, body_html, author_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                comment_id, comment.ticket_id, comment.author, comment.body_text, _ts(comment.created_at),
                comment.connection, comment.gmail_message_id, comment.message_id, comment.matched_by,
                _attachments_json(comment.attachments), comment.body_html, comment.author_kind,
            ),
        )
        comment.id = comment_id
        return comment_id

    def add_quarantine(self, record: QuarantineRecord) -> None:
        # Same id again (a redelivered poison event) replaces the record instead of failing the caller.
        self._write(
            "INSERT INTO quarantine (id, connection, reason, raw, source, gmail_message_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET connection = excluded.connection, "
            "reason = excluded.reason, raw = excluded.raw, source = excluded.source, "
            "gmail_message_id = excluded.gmail_message_id, created_at = excluded.created_at",
            (
                record.id, record.connection, record.reason, sqlite3.Binary(record.raw), record.source,
                record.gmail_message_id, _ts(record.created_at),
            ),
        )

    def add_suspended(self, record: SuspendedMail) -> None:
        # REPLACE gives a replaced record a new seq: it sorts as stored last, as in the Firestore store.
        self._write(
            "INSERT OR REPLACE INTO suspended (id, connection, gmail_message_id, sender, subject, reason, "
            "created_at, raw_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id, record.connection, record.gmail_message_id, record.sender, record.subject,
                record.reason, _ts(record.created_at), record.raw_key,
            ),
        )

    def put_notification(self, notification: Notification) -> None:
        # The queried columns are copies of the doc's fields, rewritten with it, so they never disagree.
        doc = outbox_codec.notification_doc(notification)
        self._write(
            "INSERT INTO outbox (id, ticket_id, state, created_at, doc) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET ticket_id = excluded.ticket_id, state = excluded.state, "
            "created_at = excluded.created_at, doc = excluded.doc",
            (doc["id"], doc["ticket_id"], doc["state"], doc["created_at"], json.dumps(doc)),
        )

    def put_send_window(self, window: SendWindow) -> None:
        self._write(
            "INSERT INTO send_windows (address, doc) VALUES (?, ?) "
            "ON CONFLICT (address) DO UPDATE SET doc = excluded.doc",
            (window.address, json.dumps(outbox_codec.send_window_doc(window))),
        )

    # -- writes the Store does through its own transactions

    def delete_connection(self, address: str) -> None:
        self._write("DELETE FROM connections WHERE address = ?", (address,))

    def put_support_address(self, a: SupportAddress) -> None:
        self._write(
            "INSERT INTO support_addresses (address, brand_id, is_default, kind) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (address) DO UPDATE SET brand_id = excluded.brand_id, "
            "is_default = excluded.is_default, kind = excluded.kind",
            (a.address, a.brand_id, int(a.is_default), str(a.kind)),
        )

    def delete_support_address(self, address: str) -> None:
        self._write("DELETE FROM support_addresses WHERE address = ?", (address,))

    def put_brand(self, brand: Brand) -> None:
        self._write(
            "INSERT INTO brands (id, name, ack_template) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, ack_template = excluded.ack_template",
            (brand.id, brand.name, brand.ack_template),
        )

    def put_lease(self, key: str, holder: str, expires_at: datetime, look_again: bool) -> None:
        self._write(
            "INSERT INTO leases (key, holder, expires_at, look_again) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, "
            "look_again = excluded.look_again",
            (key, holder, _ts(expires_at), int(look_again)),
        )

    def mark_lease(self, key: str, look_again: bool) -> None:
        self._write("UPDATE leases SET look_again = ? WHERE key = ?", (int(look_again), key))

    def delete_lease(self, key: str) -> None:
        self._write("DELETE FROM leases WHERE key = ?", (key,))

    def put_oauth_flow(self, flow: OAuthFlow) -> None:
        row = _oauth_flow_row(flow)
        updates = ", ".join(f"{c} = excluded.{c}" for c in _OAUTH_FLOW_COLUMNS.split(", ")[1:])
        self._write(
            f"INSERT INTO oauth_flows ({_OAUTH_FLOW_COLUMNS}) VALUES ({_marks(len(row))}) "
            f"ON CONFLICT (nonce) DO UPDATE SET {updates}",
            row,
        )

    def get_oauth_flow(self, nonce: str) -> OAuthFlow | None:
        row = self._db.execute(
            f"SELECT {_OAUTH_FLOW_COLUMNS} FROM oauth_flows WHERE nonce = ?", (nonce,)
        ).fetchone()
        return None if row is None else _oauth_flow(row)

    def delete_oauth_flow(self, nonce: str) -> None:
        self._write("DELETE FROM oauth_flows WHERE nonce = ?", (nonce,))


# --------------------------------------------------------------------------- store


class SqliteStore:
    """The Store port on one SQLite file. Thread-safe; several processes may share the file.

    `path` may be ":memory:" for throwaway stores in tests: then there is one connection, used by one thread
    at a time, and nothing outlives `close()`.
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_seconds: float = 30.0) -> None:
        self.path = os.fspath(path)
        self.write_count = 0
        self._busy_timeout = busy_timeout_seconds
        self._lock = threading.Lock()  # guards the pool and write_count
        self._idle: list[sqlite3.Connection] = []
        self._closed = False
        self._memory = self.path == _MEMORY
        # An in-memory database lives in its one connection: hand that out to one user at a time.
        self._memory_turn = threading.Lock() if self._memory else None
        with self._connection() as db:
            found = migrate(db)
        log.debug("sqlite store opened (schema was at version %d)", found)

    # -- connections

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
        db.execute("PRAGMA foreign_keys = ON")
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

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions

    def _transaction(self, fn: Callable[[_SqliteUnitOfWork], T]) -> T:
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            uow = _SqliteUnitOfWork(db)
            try:
                result = fn(uow)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:  # SQLite may have rolled back already (e.g. disk full)
                    db.execute("ROLLBACK")
                raise
            if uow.writes:
                with self._lock:
                    self.write_count += uow.writes
            return result

    def atomically(self, fn: Callable[[UnitOfWork], T]) -> T:
        """Run `fn` in one write transaction (runs exactly once: SQLite serialises writers up front)."""
        return self._transaction(fn)

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._connection() as db:
            return db.execute(sql, params).fetchall()

    # -- connections, addresses, brands

    def get_connection(self, address: str) -> Connection | None:
        rows = self._read(f"SELECT {_CONNECTION_COLUMNS} FROM connections WHERE address = ?", (address,))
        return _connection(rows[0]) if rows else None

    def save_connection(self, connection: Connection) -> None:
        self._transaction(lambda uow: uow.put_connection(connection))

    def list_connections(self) -> list[Connection]:
        return [_connection(r) for r in self._read(f"SELECT {_CONNECTION_COLUMNS} FROM connections ORDER BY address")]

    def delete_connection(self, address: str) -> None:
        self._transaction(lambda uow: uow.delete_connection(address))

    def save_support_address(self, address: SupportAddress) -> None:
        self._transaction(lambda uow: uow.put_support_address(address))

    def list_support_addresses(self) -> list[SupportAddress]:
        return [
            SupportAddress(
                address=r["address"], brand_id=r["brand_id"], is_default=bool(r["is_default"]),
                kind=AddressKind(r["kind"]),
            )
            for r in self._read("SELECT * FROM support_addresses ORDER BY address")
        ]

    def delete_support_address(self, address: str) -> None:
        self._transaction(lambda uow: uow.delete_support_address(address))

    def save_brand(self, brand: Brand) -> None:
        self._transaction(lambda uow: uow.put_brand(brand))

    def list_brands(self) -> list[Brand]:
        return [_brand(r) for r in self._read("SELECT id, name, ack_template FROM brands ORDER BY id")]

    # -- ledger

    def ledger_contains(self, connection: str, gmail_message_ids: Sequence[str]) -> set[str]:
        ids = list(dict.fromkeys(gmail_message_ids))
        found: set[str] = set()
        with self._connection() as db:
            for chunk in _chunks(ids):
                rows = db.execute(
                    f"SELECT gmail_message_id FROM ledger WHERE connection = ? "
                    f"AND gmail_message_id IN ({_marks(len(chunk))})",
                    (connection, *chunk),
                ).fetchall()
                found.update(r[0] for r in rows)
        return found

    def ledger_counts(self, connection: str | None = None) -> dict[Outcome, int]:
        """Every outcome is a key, zero included, so callers need no defaults."""
        if connection is None:
            rows = self._read("SELECT outcome, COUNT(*) FROM ledger GROUP BY outcome")
        else:
            rows = self._read(
                "SELECT outcome, COUNT(*) FROM ledger WHERE connection = ? GROUP BY outcome", (connection,)
            )
        counts = dict.fromkeys(Outcome, 0)
        for outcome, n in rows:
            counts[Outcome(outcome)] = int(n)
        return counts

    # -- tickets

    def get_ticket(self, ticket_id: int) -> Ticket | None:
        rows = self._read("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
        return _ticket(rows[0]) if rows else None

    def list_tickets(self, *, limit: int = 50, connection: str | None = None) -> list[Ticket]:
        """Newest first: ids only grow, so the highest id is the newest ticket."""
        if connection is None:
            rows = self._read("SELECT * FROM tickets ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self._read(
                "SELECT * FROM tickets WHERE connection = ? ORDER BY id DESC LIMIT ?", (connection, limit)
            )
        return [_ticket(r) for r in rows]

    def comments(self, ticket_id: int) -> list[Comment]:
        rows = self._read("SELECT * FROM comments WHERE ticket_id = ? ORDER BY created_at, seq", (ticket_id,))
        return [_comment(r) for r in rows]

    def list_quarantine(self, *, limit: int = 50) -> list[QuarantineRecord]:
        """Newest first (by created_at, then by when it was stored)."""
        rows = self._read(
            "SELECT * FROM quarantine ORDER BY created_at IS NULL, created_at DESC, seq DESC LIMIT ?", (limit,)
        )
        return [_quarantine(r) for r in rows]

    def list_suspended(self, *, limit: int = 50) -> list[SuspendedMail]:
        """Newest first (by created_at, then by when it was stored)."""
        rows = self._read("SELECT * FROM suspended ORDER BY created_at DESC, seq DESC LIMIT ?", (limit,))
        return [_suspended(r) for r in rows]

    def recent_mail_count(self, sender: str, since: datetime) -> int:
        """One range scan of ledger_by_sender (text order of the fixed-width timestamps is time order)."""
        return int(self._read(RECENT_MAIL_COUNT_SQL, (_sender(sender), _ts(since)))[0][0])

    # -- the outbox

    def get_notification(self, notification_id: str) -> Notification | None:
        rows = self._read("SELECT doc FROM outbox WHERE id = ?", (notification_id,))
        return _notification(rows[0]) if rows else None

    def list_notifications(
        self, *, states: Sequence[NotificationState] = (), ticket_id: int | None = None, limit: int = 100,
        oldest_first: bool = False,
    ) -> list[Notification]:
        """Newest first (created_at, then id; records without a time last), or oldest first; served by
        outbox_by_state, outbox_by_ticket or outbox_newest."""
        wanted = list(dict.fromkeys(str(s) for s in states))
        where: list[str] = []
        params: list[Any] = []
        if ticket_id is not None:
            where.append("ticket_id = ?")
            params.append(ticket_id)
        if wanted:
            where.append(f"state IN ({_marks(len(wanted))})")  # a handful of states: far below _CHUNK
            params.extend(wanted)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        order = "created_at IS NULL, created_at, id" if oldest_first else "created_at DESC, id DESC"
        rows = self._read(f"SELECT doc FROM outbox {clause}ORDER BY {order} LIMIT ?", (*params, limit))
        return [_notification(r) for r in rows]

    def get_send_window(self, address: str) -> SendWindow:
        rows = self._read("SELECT doc FROM send_windows WHERE address = ?", (address,))
        return _send_window(address, rows[0] if rows else None)

    def record_gmail_sends(self, address: str, at: datetime, recipients: int) -> None:
        """Read-modify-write in one BEGIN IMMEDIATE transaction: SQLite serialises writers, nothing contends."""

        def add(uow: _SqliteUnitOfWork) -> None:
            window = uow.get_send_window(address)
            window.record(at, recipients)
            uow.put_send_window(window)

        self._transaction(add)

    # -- OAuth flows

    def save_oauth_flow(self, flow: OAuthFlow) -> None:
        """Insert or replace by nonce."""
        self._transaction(lambda uow: uow.put_oauth_flow(flow))

    def take_oauth_flow(self, nonce: str, now: datetime) -> OAuthFlow | None:
        """Read and delete in one BEGIN IMMEDIATE transaction, so concurrent takers get it at most once."""

        def take(uow: _SqliteUnitOfWork) -> OAuthFlow | None:
            flow = uow.get_oauth_flow(nonce)
            if flow is None:
                return None
            uow.delete_oauth_flow(nonce)
            return flow if flow.expires_at > _utc(now) else None

        return self._transaction(take)

    # -- leases

    def try_lease(self, key: str, holder: str, now: datetime, ttl_seconds: float) -> bool:
        expires_at = now + timedelta(seconds=ttl_seconds)

        def take(uow: _SqliteUnitOfWork) -> bool:
            row = uow.get_lease(key)
            if row is None:
                uow.put_lease(key, holder, expires_at, look_again=False)
                return True
            if row["holder"] == holder:  # re-entrant: extend, and keep any mark others left meanwhile
                uow.put_lease(key, holder, expires_at, look_again=bool(row["look_again"]))
                return True
            if datetime.fromisoformat(row["expires_at"]) <= _utc(now):
                # The old holder is gone; whoever takes over syncs anyway, so its mark is spent.
                uow.put_lease(key, holder, expires_at, look_again=False)
                return True
            if not row["look_again"]:
                uow.mark_lease(key, look_again=True)
            return False

        return self._transaction(take)

    def release_lease(self, key: str, holder: str) -> bool:
        def release(uow: _SqliteUnitOfWork) -> bool:
            row = uow.get_lease(key)
            if row is None or row["holder"] != holder:
                return False  # not ours (expired and taken over): leave the new holder alone
            if row["look_again"]:
                uow.mark_lease(key, look_again=False)
                return True
            uow.delete_lease(key)
            return False

        return self._transaction(release)
