"""Full-text search on Firestore, with no service beside it: term arrays (domain/search_terms.py).

- A ticket document carries `search_terms` of its subject, requester name and address; a comment document those
  of its text. Both are written by the same `set`/`create` as the record (tickets.py), so they are in step with
  it and cost no extra write.
- A clause is one `array_contains` query on tickets and one on the `comments` collection group (which needs the
  single-field index docs/search.md names, for collection-group scope), each reading at most MAX_MATCHES
  documents, all of them at once; a phrase or a long prefix is then checked against the found document's own text. The
  clauses' ticket ids are intersected, and tickets are read newest first, narrowed by the filter in memory, until
  a page is full. Cost grows with the documents a query's terms match, not with all tickets.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.document import DocumentSnapshot

from gmail_tickets.adapters import records
from gmail_tickets.adapters.firestore_store import keys
from gmail_tickets.adapters.firestore_store.client import translated
from gmail_tickets.adapters.firestore_store.tickets import DESCRIPTION, TERMS, TicketsRepo
from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.search_query import Clause, SearchQuery
from gmail_tickets.domain.search_terms import lookup_term, needs_text, text_matches
from gmail_tickets.domain.ticket_query import TicketFilter
from gmail_tickets.ports.search import SearchPage

MAX_MATCHES = 10_000
"""Documents read per clause and collection: a clause matching more is searched in the first MAX_MATCHES by
document id (add a word to narrow it)."""
_READ_BATCH = 100

_TICKET_TEXTS = ("subject", "requester_name", "requester")


class SearchRepo(TicketsRepo):
    def search_tickets(self, query: SearchQuery, *, filter: TicketFilter, limit: int,
                       cursor: str | None = None) -> SearchPage:
        if query.empty or limit < 1:
            return SearchPage()
        found = self._tickets_matching_all(query.clauses)
        below = int(cursor) if cursor else None
        ordered = sorted((i for i in found if below is None or i < below), reverse=True)
        page: list[Ticket] = []
        for start in range(0, len(ordered), _READ_BATCH):
            page.extend(t for t in self._tickets_by_id(ordered[start:start + _READ_BATCH]) if filter.matches(t))
            if len(page) > limit:
                break
        more = len(page) > limit
        page = page[:limit]
        return SearchPage(tickets=page, next_cursor=str(page[-1].id) if more else None)

    def _tickets_matching_all(self, clauses: Sequence[Clause]) -> set[int]:
        """The tickets every clause matches. Each clause's two lookups (ticket documents, comment documents) run at
        once, all clauses together: a search costs about one query's round trip, not two per clause."""
        with ThreadPoolExecutor(max_workers=2 * len(clauses)) as pool:
            lookups = [(pool.submit(self._tickets_hit, c), pool.submit(self._comments_hit, c)) for c in clauses]
            sets = [on_tickets.result() | on_comments.result() for on_tickets, on_comments in lookups]
        return set.intersection(*sets)

    def _tickets_hit(self, clause: Clause) -> set[int]:
        term, check = lookup_term(clause), needs_text(clause)
        query = (self._col("tickets").where(filter=FieldFilter(TERMS, "array_contains", term))
                 .select([*_TICKET_TEXTS, DESCRIPTION] if check else ["id"]).limit(MAX_MATCHES))
        return {keys.ticket_number(snap.id) for snap in self._stream(query)
                if not check or self._ticket_text_matches(clause, snap)}

    def _ticket_text_matches(self, clause: Clause, snap: DocumentSnapshot) -> bool:
        doc = snap.to_dict() or {}
        texts = [str(doc.get(f) or "") for f in _TICKET_TEXTS] + [self.description_text(snap.reference, doc)]
        return text_matches(clause, texts)

    def _comments_hit(self, clause: Clause) -> set[int]:
        term, check = lookup_term(clause), needs_text(clause)
        query = (self._client.collection_group("comments").where(filter=FieldFilter(TERMS, "array_contains", term))
                 .select(["body_text", "body_text_sha256", "body_text_chunks", "body_text_size"] if check else ["seq"])
                 .limit(MAX_MATCHES))
        tickets = self._col("tickets").id
        ids: set[int] = set()
        for snap in self._stream(query):
            ticket_ref = snap.reference.parent.parent
            if ticket_ref is None or ticket_ref.parent.id != tickets:
                continue  # another store's comments (stores sharing a database by prefix)
            if not check or text_matches(clause, [self._body_text(snap)]):
                ids.add(keys.ticket_number(ticket_ref.id))
        return ids

    def _body_text(self, snap: DocumentSnapshot) -> str:
        doc = snap.to_dict() or {}
        if "body_text_sha256" in doc:  # spilled: a body beyond the inline limit
            return self._unspill(snap.reference, doc, "body_text").decode()
        return str(doc.get("body_text") or "")

    def _tickets_by_id(self, ids: list[int]) -> list[Ticket]:
        """Tickets in the order of `ids` (those deleted meanwhile left out)."""
        with translated():
            found = {keys.ticket_number(s.id): s for s in self._client.get_all([self._ticket_ref(i) for i in ids])
                     if s.exists}
        for i in ids:  # stored before ticket ids were scattered: at the number itself
            if i not in found:
                snap = self._ticket_snap(i)
                if snap.exists:
                    found[i] = snap
        return [records.from_doc(Ticket, found[i].to_dict() or {}) for i in ids if i in found]
