"""TicketRepo on Firestore: tickets/{hash-id} and tickets/{hash-id}/comments/{comment id} (keys.ticket_doc_id: the
number behind a hash of it, so consecutive tickets are stored apart; older tickets live at tickets/{id}).

A ticket made from a mail keeps its description (the first comment) inside its own document, under
`description`: a new ticket is one document write, not two (with the ledger entry and the acknowledgement, three).
`comments` returns it first, like the comments beneath; its search terms are the ticket's. Tickets written before
keep their description beneath, and read the same.

Ticket ids are small increasing integers handed out from blocks reserved with one atomic Increment on
counters/tickets (no transaction, no contention per ticket): unique across processes, increasing within one.
Comment bodies (text and HTML) beyond INLINE_LIMIT together are chunked (spill.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.document import DocumentReference, DocumentSnapshot

from gmail_tickets.adapters import records
from gmail_tickets.adapters.firestore_store import keys
from gmail_tickets.adapters.firestore_store.client import translated
from gmail_tickets.adapters.firestore_store.spill import INLINE_LIMIT, Spilling
from gmail_tickets.adapters.firestore_store.ticket_list import view_fields
from gmail_tickets.adapters.firestore_store.transaction import Doc, FirestoreTx
from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.search_terms import index_terms
from gmail_tickets.domain.ticket_fields import TicketStatus

_BODIES = ("body_text", "body_html")
TERMS = "search_terms"  # full-text search's terms (firestore_store/search.py), written with the record
DESCRIPTION = "description"  # the first comment, inside the ticket's document


def ticket_terms(ticket: Ticket) -> list[str]:
    return index_terms([ticket.subject, ticket.requester_name, ticket.requester])


class TicketsTx(FirestoreTx):
    @property
    def _descriptions(self) -> dict[int, str]:
        """Ticket id -> its embedded description's text, for the tickets this attempt read."""
        return self.__dict__.setdefault("_description_texts", {})

    def get_ticket(self, ticket_id: int) -> Ticket | None:
        snap = self._store._ticket_snap(ticket_id, self.read)
        ref, doc = snap.reference, snap.to_dict() or {}
        self._tickets_seen[int(ticket_id)] = snap.exists
        if snap.exists and isinstance(doc.get(DESCRIPTION), dict):  # put_ticket indexes its text again
            self._descriptions[int(ticket_id)] = self._store.description_text(ref, doc)
        return records.from_doc(Ticket, doc) if snap.exists else None

    def add_ticket(self, ticket: Ticket, description: Comment | None = None) -> int:
        ticket.id = self._store._next_ticket_id()
        ref = self._store._ticket_ref(ticket.id)
        doc = self._store._ticket_doc(ticket)
        if description is not None:  # inside the ticket's document: one write for both
            description.ticket_id, description.id = ticket.id, uuid.uuid4().hex
            embedded = self._store._comment_doc(ref.collection("comments").document(description.id), description)
            embedded.pop(TERMS, None)
            doc[DESCRIPTION] = embedded
            doc[TERMS] = index_terms([ticket.subject, ticket.requester_name, ticket.requester,
                                      description.body_text])
        self.create(ref, doc)
        self.touched_tickets.add(ticket.id)
        self.created_tickets.add(ticket.id)
        return ticket.id

    def put_ticket(self, ticket: Ticket) -> None:
        # Every field of _ticket_doc replaced whole (a `set` merging those top-level fields), so the fields the
        # store adds itself (connection_pos, search terms) are rewritten with the ticket and never go stale or
        # missing, and a description kept inside stays (its text read with the ticket, for the terms).
        # No exists-precondition: a missing ticket is caught only when this unit read it as missing (the port
        # asks callers to read it first).
        if ticket.id is None:
            raise ValueError("put_ticket needs a stored ticket (its id is None)")
        if self._tickets_seen.get(ticket.id) is False:
            raise KeyError(f"ticket {ticket.id}")
        doc = self._store._ticket_doc(ticket)
        if ticket.id in self._descriptions:  # its own terms and its description's, as add_ticket wrote them
            doc[TERMS] = index_terms([ticket.subject, ticket.requester_name, ticket.requester,
                                      self._descriptions[ticket.id]])
        elif ticket.id not in self._tickets_seen:  # not read here (the port asks for it): keep the stored terms
            del doc[TERMS]
        self._tx.set(self._store._ticket_ref(ticket.id), doc, merge=list(doc))
        self.writes += 1
        self.touched_tickets.add(ticket.id)

    def add_comment(self, comment: Comment) -> str:
        comment.id = uuid.uuid4().hex
        if comment.ticket_id not in self._tickets_seen and comment.ticket_id not in self.touched_tickets:
            self._store._ticket_snap(comment.ticket_id)  # not read here: where it lives (its number, if stored so)
        ref = self._store._ticket_ref(comment.ticket_id).collection("comments").document(comment.id)
        self.create(ref, self._store._comment_doc(ref, comment))
        self.touched_tickets.add(comment.ticket_id)
        return comment.id


class TicketsRepo(Spilling):
    def _ticket_ref(self, ticket_id: int) -> DocumentReference:
        """Where ticket `ticket_id` lives: at its scattered id (keys.ticket_doc_id), or, stored before those,
        at its number (looked for once, then remembered: `_legacy_tickets`)."""
        if int(ticket_id) in self._legacy_tickets:
            return self._col("tickets").document(keys.legacy_ticket_doc_id(ticket_id))
        return self._col("tickets").document(keys.ticket_doc_id(ticket_id))

    @property
    def _legacy_tickets(self) -> set[int]:
        return self.__dict__.setdefault("_legacy_ticket_numbers", set())

    def _ticket_snap(self, ticket_id: int, get: Callable[[DocumentReference], DocumentSnapshot] | None = None
                     ) -> DocumentSnapshot:
        """Ticket `ticket_id`'s document, at its scattered id or else its number (through `get`: a transaction's
        read, or the store's)."""
        get = get or self._get
        snap = get(self._ticket_ref(ticket_id))
        if not snap.exists and int(ticket_id) not in self._legacy_tickets:
            legacy = get(self._col("tickets").document(keys.legacy_ticket_doc_id(ticket_id)))
            if legacy.exists:
                with self._lock:
                    self._legacy_tickets.add(int(ticket_id))
                return legacy
        return snap

    def _next_ticket_id(self) -> int:
        with self._lock:
            if self._next_id > self._block_end:
                self._reserve_block()
            ticket_id = self._next_id
            self._next_id += 1
            return ticket_id

    def _reserve_block(self) -> None:
        """Reserve the next `id_block` ids with one atomic server-side Increment (caller holds the lock).

        The write result carries the incremented value, so no read and no transaction are needed, and
        concurrent reservations never conflict: each gets its own range.
        """
        batch = self._client.batch()
        batch.set(self._col("counters").document("tickets"), {"next": firestore.Increment(self._id_block)},
                  merge=True)
        with translated():
            results = batch.commit()
        end = int(results[0].transform_results[0].integer_value)
        self._next_id, self._block_end = end - self._id_block + 1, end
        self.write_count += 1

    def _ticket_doc(self, ticket: Ticket) -> Doc:
        doc = records.to_doc(ticket)
        # Newest first per mailbox from one range on one field (no composite index): see list_tickets.
        doc["connection_pos"] = f"{keys.connection_prefix(ticket.connection)}{ticket.id:015d}"
        doc.update(view_fields(ticket))  # the views' sort keys (ticket_list.py)
        doc[TERMS] = ticket_terms(ticket)
        return doc

    def _comment_doc(self, ref: DocumentReference, comment: Comment) -> Doc:
        """Bodies stay inline while text and HTML together fit INLINE_LIMIT; otherwise the bigger one spills
        first (then the other, if still needed), since it is their sum that meets the 1 MiB document limit.
        `seq` (insertion order) breaks ties between comments with the same created_at."""
        doc = records.to_doc(comment)
        doc["seq"] = keys.next_seq()
        doc[TERMS] = index_terms([comment.body_text])
        bodies = {"body_text": comment.body_text.encode()}
        if comment.body_html is not None:
            bodies["body_html"] = comment.body_html.encode()
        inline = sum(len(b) for b in bodies.values())
        for field, body in sorted(bodies.items(), key=lambda item: len(item[1]), reverse=True):
            if inline <= INLINE_LIMIT:
                break
            del doc[field]
            doc.update(self._spill(ref, field, body))
            inline -= len(body)
        return doc

    def _comment_from(self, snap: DocumentSnapshot) -> Comment:
        return self._comment_of(snap.reference, snap.to_dict() or {})

    def _comment_of(self, ref: DocumentReference, doc: Doc) -> Comment:
        """`ref`: where its spilled bodies' chunks are (an embedded description's: as if it lived beneath)."""
        for field in _BODIES:
            if f"{field}_sha256" in doc:  # spilled (an inline body_html may be None, so test for the marker)
                doc[field] = self._unspill(ref, doc, field).decode()
        return records.from_doc(Comment, doc)

    def description_text(self, ticket_ref: DocumentReference, ticket_doc: Doc) -> str:
        """The embedded description's text ("" when the ticket keeps none inside)."""
        embedded = ticket_doc.get(DESCRIPTION)
        if not isinstance(embedded, dict):
            return ""
        if "body_text_sha256" in embedded:
            ref = ticket_ref.collection("comments").document(str(embedded.get("id")))
            return self._unspill(ref, embedded, "body_text").decode()
        return str(embedded.get("body_text") or "")

    def get_ticket(self, ticket_id: int) -> Ticket | None:
        snap = self._ticket_snap(ticket_id)
        return records.from_doc(Ticket, snap.to_dict() or {}) if snap.exists else None

    def list_tickets(self, *, limit: int = 50, connection: str | None = None) -> list[Ticket]:
        """Newest first (highest id first; ids only grow)."""
        if connection is None:
            query = self._col("tickets").order_by("id", direction=firestore.Query.DESCENDING)
        else:
            prefix = keys.connection_prefix(connection)
            query = (
                self._col("tickets")
                .where(filter=FieldFilter("connection_pos", ">=", prefix))
                .where(filter=FieldFilter("connection_pos", "<", prefix + "~"))
                .order_by("connection_pos", direction=firestore.Query.DESCENDING)
            )
        return self._records(Ticket, query.limit(limit))

    def tickets_mentioning(self, ticket_id: int, *, limit: int = 20) -> list[int]:
        """An equality filter on the top-level `mentions` field: its automatic single-field index serves it.
        Sorted here (a few tickets at most), since ordering by another field would want a composite index."""
        query = self._col("tickets").where(filter=FieldFilter("mentions", "==", int(ticket_id))).limit(limit)
        return sorted(int(t.id) for t in self._records(Ticket, query) if t.id is not None)

    def solved_before(self, before: datetime, *, limit: int) -> list[Ticket]:
        """One range of the top-level `solved_at` (records.py's time text), which its automatic single-field
        index serves; only solved tickets carry it (null elsewhere, which a range on text never matches)."""
        query = (self._col("tickets").where(filter=FieldFilter("solved_at", "<=", records.ts(before)))
                 .order_by("solved_at").limit(limit))
        return [t for t in self._records(Ticket, query) if t.status == TicketStatus.SOLVED]

    def comments(self, ticket_id: int) -> list[Comment]:
        """Oldest first, then in insertion order. A ticket's comments are read whole anyway, so they are
        sorted here rather than by a query that would need a composite index."""
        ticket = self._ticket_snap(ticket_id)
        ref = ticket.reference
        found = [(s.reference, s.to_dict() or {}) for s in self._stream(ref.collection("comments"))]
        embedded = (ticket.to_dict() or {}).get(DESCRIPTION)
        if isinstance(embedded, dict):
            found.append((ref.collection("comments").document(str(embedded.get("id"))), dict(embedded)))
        found.sort(key=lambda item: _comment_order(item[1]))
        return [self._comment_of(r, d) for r, d in found]


def _comment_order(doc: Doc) -> tuple[str, int]:
    return keys.time_key(doc.get("created_at")), int(doc.get("seq", 0))
