"""Ticket views on SQLite: a filtered, sorted page by keyset, and the count of a filter, both served by the
generated columns and indexes of migration 12."""

from __future__ import annotations

import sqlite3
from typing import Any

from gmail_tickets.adapters.sqlite_store.tx import SqliteRepo, marks, record_of
from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.paging import Page, PageRequest, page_of
from gmail_tickets.domain.ticket_query import TicketFilter, TicketSort, sort_key, time_key

SORT_COLUMNS: dict[TicketSort, tuple[str, ...]] = {
    TicketSort.UPDATED: ("t_updated", "id"),
    TicketSort.CREATED: ("id",),
    TicketSort.PRIORITY: ("t_rank", "t_updated", "id"),
}


def where(query: TicketFilter) -> tuple[list[str], list[Any]]:
    """The filter as SQL conditions on the generated columns (and their parameters)."""
    conditions: list[str] = []
    params: list[Any] = []
    if query.statuses:
        conditions.append(f"t_status IN ({marks(len(query.statuses))})")
        params.extend(str(s) for s in query.statuses)
    if query.unassigned:
        conditions.append("t_assignee IS NULL")
    elif query.assignee is not None:
        conditions.append("t_assignee = ?")
        params.append(query.assignee)
    for column, value in (("t_brand", query.brand_id), ("connection", query.connection),
                          ("t_requester", query.requester)):
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)
    if query.tag is not None:
        conditions.append("EXISTS (SELECT 1 FROM json_each(tickets.doc, '$.tags') WHERE json_each.value = ?)")
        params.append(query.tag)
    if query.updated_since is not None:
        conditions.append("t_updated >= ?")
        params.append(time_key(query.updated_since))
    return conditions, params


class TicketListRepo(SqliteRepo):
    def ticket_page(self, query: TicketFilter, sort: TicketSort, page: PageRequest) -> Page[Ticket]:
        """One page past the cursor's key, by a row-value comparison on the sort's columns: the index walks
        from the key, so page 500 costs what page 1 does."""
        conditions, params = where(query)
        columns = SORT_COLUMNS[sort]
        if page.after is not None:
            if len(page.after) != len(columns):
                page = PageRequest(page.limit)  # a cursor of another sort: start from the top
            else:
                conditions.append(f"({', '.join(columns)}) {'>' if page.backward else '<'} ({marks(len(columns))})")
                params.extend(page.after)
        direction = "ASC" if page.backward else "DESC"
        sql = (f"SELECT id, doc FROM tickets {_where_sql(conditions)} "
               f"ORDER BY {', '.join(f'{c} {direction}' for c in columns)} LIMIT ?")
        rows = self._read(sql, (*params, page.limit + 1))
        return page_of([_ticket(r) for r in rows], page, lambda t: sort_key(t, sort))

    def count_tickets(self, query: TicketFilter) -> int:
        conditions, params = where(query)
        rows = self._read(f"SELECT COUNT(*) AS n FROM tickets {_where_sql(conditions)}", params)
        return int(rows[0]["n"])


def _where_sql(conditions: list[str]) -> str:
    return f"WHERE {' AND '.join(conditions)}" if conditions else ""


def _ticket(row: sqlite3.Row) -> Ticket:
    return record_of(Ticket, row, id=row["id"])
