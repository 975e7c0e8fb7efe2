"""Full-text search on SQLite: the FTS5 table of migration 13, kept in step by tickets.py and queried here.

Every clause is one MATCH against the rows of one text (a ticket's own fields, or one comment); a ticket matches
when every clause matched some row of it, so the clauses' ticket ids are intersected. The filter and the keyset
(ticket id below the cursor) narrow the tickets table in the same statement, newest first.
"""

from __future__ import annotations

from typing import Any

from gmail_tickets.adapters.sqlite_store.tickets import ticket_of
from gmail_tickets.adapters.sqlite_store.tx import SqliteRepo, marks
from gmail_tickets.domain.search_query import Clause, ClauseKind, SearchQuery
from gmail_tickets.domain.ticket_query import TicketFilter
from gmail_tickets.ports.search import SearchPage


def match_expression(clause: Clause) -> str:
    """The clause in FTS5's query language; every word is quoted, so nothing typed is read as syntax."""
    quoted = " ".join(word.replace('"', '""') for word in clause.words)
    return f'"{quoted}" *' if clause.kind == ClauseKind.PREFIX else f'"{quoted}"'


def filter_sql(ticket_filter: TicketFilter) -> tuple[str, list[Any]]:
    """TicketFilter as SQL over the tickets table (alias t), meaning what TicketFilter.matches means."""
    where: list[str] = []
    params: list[Any] = []
    if ticket_filter.statuses:
        where.append(f"json_extract(t.doc, '$.status') IN ({marks(len(ticket_filter.statuses))})")
        params.extend(str(s) for s in ticket_filter.statuses)
    if ticket_filter.assignee is not None:
        where.append("json_extract(t.doc, '$.assignee') = ?")
        params.append(ticket_filter.assignee)
    if ticket_filter.unassigned:
        where.append("json_extract(t.doc, '$.assignee') IS NULL")
    if ticket_filter.brand_id is not None:
        where.append("json_extract(t.doc, '$.brand_id') = ?")
        params.append(ticket_filter.brand_id)
    if ticket_filter.connection is not None:
        where.append("t.connection = ?")
        params.append(ticket_filter.connection)
    if ticket_filter.requester is not None:
        where.append("lower(json_extract(t.doc, '$.requester')) = ?")
        params.append(ticket_filter.requester)
    if ticket_filter.tag is not None:
        where.append("EXISTS (SELECT 1 FROM json_each(t.doc, '$.tags') WHERE value = ?)")
        params.append(ticket_filter.tag)
    return (" AND ".join(where) or "1"), params


class SearchRepo(SqliteRepo):
    def search_tickets(self, query: SearchQuery, *, filter: TicketFilter, limit: int,
                       cursor: str | None = None) -> SearchPage:
        if query.empty or limit < 1:
            return SearchPage()
        hits = " INTERSECT ".join(
            "SELECT ticket_id FROM ticket_search WHERE ticket_search MATCH ?" for _ in query.clauses)
        narrow, params = filter_sql(filter)
        below = int(cursor) if cursor else None
        sql = (f"SELECT t.id, t.doc FROM tickets t WHERE t.id IN ({hits}) AND {narrow}"
               f"{' AND t.id < ?' if below is not None else ''} ORDER BY t.id DESC LIMIT ?")
        args = [*map(match_expression, query.clauses), *params, *([below] if below is not None else []), limit + 1]
        rows = self._read(sql, args)
        tickets = [ticket_of(row) for row in rows[:limit]]
        more = len(rows) > limit
        return SearchPage(tickets=tickets, next_cursor=str(tickets[-1].id) if more else None)
