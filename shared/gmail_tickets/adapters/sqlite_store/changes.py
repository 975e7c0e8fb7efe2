"""ChangeRepo on SQLite: change marks as rows of the `leases` table under keys `change:<mark>`.

The leases table is the store's one plain key → doc table, and no lease key starts with "change:" (lease keys
are "sync:…", "send:…"), so marks need no schema migration. A mark is bumped inside the transaction whose writes
it marks (SQLite serialises writers anyway, so this adds no contention), once per unit of work and key; a unit
that only made tickets bumps none (domain/change_marks.py): the desk's mark adds the newest ticket id, which only
grows (AUTOINCREMENT), so a new ticket moves it with no statement. The mark rows are not counted in
`write_count`, which the bench reports as the records written per mail.
"""

from __future__ import annotations

from collections.abc import Sequence

from gmail_tickets.adapters.sqlite_store.tx import SqliteRepo, SqliteTx, marks
from gmail_tickets.domain import change_marks

PREFIX = "change:"
_BUMP = ("INSERT INTO leases (key, doc) VALUES (?, '{\"seq\": 1}') ON CONFLICT (key) DO UPDATE SET "
         "doc = json_set(doc, '$.seq', coalesce(json_extract(doc, '$.seq'), 0) + 1)")


class ChangesTx(SqliteTx):
    def before_commit(self) -> None:
        """Bump the marks of what this unit wrote (called by the database just before COMMIT)."""
        for key in change_marks.keys_for(self.touched_tickets, self.created_tickets):
            self._db.execute(_BUMP, (PREFIX + key,))


class ChangesRepo(SqliteRepo):
    def change_marks(self, keys: Sequence[str]) -> dict[str, int]:
        found = {str(r["key"])[len(PREFIX):]: int(r["seq"] or 0) for r in self._read(
            f"SELECT key, json_extract(doc, '$.seq') AS seq FROM leases WHERE key IN ({marks(len(keys))})",
            [PREFIX + k for k in keys])} if keys else {}
        if change_marks.ALL in keys:
            [newest] = self._read("SELECT coalesce(max(id), 0) AS newest FROM tickets")
            found[change_marks.ALL] = change_marks.desk_mark(found.get(change_marks.ALL, 0), int(newest["newest"]))
        return {k: found.get(k, 0) for k in keys}
