"""Full-text search on SQLite: the FTS5 table of migration 13, kept in step by tickets.py and queried here.

Every clause is one MATCH against the rows of one text (a ticket's own fields, or one comment); a ticket matches
when every clause matched some row of it, so the clauses' ticket ids are intersected. The views' filter
(ticket_list.where) and the keyset (ticket id below the cursor) narrow the tickets table in the same statement,
newest first.
"""

from __future__ import annotations

from gmail_tickets.adapters.sqlite_store.ticket_list import where
from gmail_tickets.adapters.sqlite_store.tickets import ticket_of
from gmail_tickets.adapters.sqlite_store.tx import SqliteRepo
from gmail_tickets.domain.search_query import Clause, ClauseKind, SearchQuery
from gmail_tickets.domain.ticket_query import TicketFilter
from gmail_tickets.ports.search import SearchPage


def match_expression(clause: Clause) -> str:
    """The clause in FTS5's query language; every word is quoted, so nothing typed is read as syntax."""
    quoted = " ".join(word.replace('"', '""') for word in clause.words)
    return f'"{quoted}" *' if clause.kind == ClauseKind.PREFIX else f'"{quoted}"'


class SearchRepo(SqliteRepo):
    def search_tickets(self, query: SearchQuery, *, filter: TicketFilter, limit: int,
                       cursor: str | None = None) -> SearchPage:
        if query.empty or limit < 1:
            return SearchPage()
        hits = " INTERSECT ".join(
            "SELECT ticket_id FROM ticket_search WHERE ticket_search MATCH ?" for _ in query.clauses)
        conditions, params = where(filter)  # the views' own conditions, on the same generated columns
        narrow = "".join(f" AND {condition}" for condition in conditions)
        below = int(cursor) if cursor else None
        sql = (f"SELECT id, doc FROM tickets WHERE id IN ({hits}){narrow}"
               f"{' AND id < ?' if below is not None else ''} ORDER BY id DESC LIMIT ?")
        args = [*map(match_expression, query.clauses), *params, *([below] if below is not None else []), limit + 1]
        rows = self._read(sql, args)
        tickets = [ticket_of(row) for row in rows[:limit]]
        more = len(rows) > limit
        return SearchPage(tickets=tickets, next_cursor=str(tickets[-1].id) if more else None)
