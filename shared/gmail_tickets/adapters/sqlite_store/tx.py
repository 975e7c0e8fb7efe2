"""The one transaction object the SQLite store's role modules share, and the record <-> row plumbing.

Every table holds its record as records.py's dict in a JSON `doc` column, plus copies of the few fields it is
queried by (see migration_6). The copies are written with the doc, in the same statement, so they never
disagree with it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from gmail_tickets.adapters import records
from gmail_tickets.adapters.store_common import TransactionRunner
from gmail_tickets.domain.paging import Page, PageRequest, page_of

if TYPE_CHECKING:
    from gmail_tickets.adapters.sqlite_store.database import SqliteDatabase

R = TypeVar("R")

_CHUNK = 500  # bound parameters per IN (...) query; well under SQLite's limit on any build


def doc_text(record: object, *, leave_out: tuple[str, ...] = ()) -> str:
    """The record's doc as JSON; `leave_out` names fields a table keeps in columns of their own."""
    doc = records.to_doc(record)
    for name in leave_out:
        del doc[name]
    return json.dumps(doc)


def record_of(cls: type[R], row: sqlite3.Row, **fields: Any) -> R:
    """The record in `row["doc"]`; `fields` (say, an id the table assigned) override what the doc holds."""
    return records.from_doc(cls, {**json.loads(row["doc"]), **fields})


def chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def marks(n: int) -> str:
    return ",".join("?" * n)


class SqliteTx:
    """Reads and writes inside one BEGIN IMMEDIATE transaction; counts the rows it writes."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self.writes = 0
        self.touched_tickets: set[int] = set()  # tickets whose records this unit wrote: their change marks
        self.created_tickets: set[int] = set()  # of which made here: no mark of their own (domain/change_marks.py)

    def before_commit(self) -> None:
        """Called just before COMMIT (changes.py bumps the change marks here)."""

    def _write(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        cur = self._db.execute(sql, params)
        self.writes += max(cur.rowcount, 0)
        return cur

    def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        return self._db.execute(sql, params).fetchone()

    def _get(self, cls: type[R], table: str, key_column: str, key: Any) -> R | None:
        row = self._one(f"SELECT doc FROM {table} WHERE {key_column} = ?", (key,))
        return None if row is None else record_of(cls, row)

    def _upsert(self, table: str, columns: Mapping[str, Any], doc: str) -> None:
        """Insert or replace by the first of `columns` (the key), keeping the row (and its rowid)."""
        names = [*columns, "doc"]
        updates = ", ".join(f"{c} = excluded.{c}" for c in names[1:])
        self._write(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks(len(names))}) "
            f"ON CONFLICT ({names[0]}) DO UPDATE SET {updates}",
            (*columns.values(), doc),
        )

    def _delete(self, table: str, key_column: str, key: Any) -> None:
        self._write(f"DELETE FROM {table} WHERE {key_column} = ?", (key,))


class SqliteRepo(TransactionRunner):
    """What the store side of every role module stands on: the database, its reads and its transactions."""

    _db: SqliteDatabase

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self._db.read(sql, params)

    def _records(self, cls: type[R], sql: str, params: Sequence[Any] = ()) -> list[R]:
        return [record_of(cls, row) for row in self._read(sql, params)]

    def _page(self, table: str, columns: tuple[str, ...], page: PageRequest, convert: Callable[[sqlite3.Row], R],
              conditions: Sequence[str] = (), params: Sequence[Any] = ()) -> Page[R]:
        """A keyset page of `table`, largest (`columns`) first: a row-value comparison from the cursor's key, so
        an index on `columns` (after any equality `conditions`) walks straight to it. The key is the row's own
        `columns`, never an offset."""
        where = list(conditions)
        args = list(params)
        if page.after is not None and len(page.after) == len(columns):
            where.append(f"({', '.join(columns)}) {'>' if page.backward else '<'} ({marks(len(columns))})")
            args.extend(page.after)
        elif page.after is not None:
            page = PageRequest(page.limit)  # not a cursor of this list: start from the top
        direction = "ASC" if page.backward else "DESC"
        sql = (f"SELECT * FROM {table} {'WHERE ' + ' AND '.join(where) if where else ''} "
               f"ORDER BY {', '.join(f'{c} {direction}' for c in columns)} LIMIT ?")
        found = page_of(self._read(sql, (*args, page.limit + 1)), page, lambda r: tuple(r[c] for c in columns))
        return Page([convert(r) for r in found.items], found.older, found.newer)

    def _count_rows(self, table: str, conditions: Sequence[str] = (), params: Sequence[Any] = ()) -> int:
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        return int(self._read(f"SELECT COUNT(*) AS n FROM {table} {where}", params)[0]["n"])
