"""Giving tickets and comments written before full-text search their `search_terms`, in the background: the
sweep's `upgrade_in_place` works through the tickets a batch at a time from a cursor kept in
counters/search_upgrade (as upgrade.py does for the lifecycle), then each later call costs one read.

Each update is conditional on the document's update time: one changed meanwhile was rewritten whole by this
release, terms included, and is left alone. Until a ticket is upgraded, search does not find it.
"""

from __future__ import annotations

from typing import Any

from google.api_core import exceptions as gexc
from google.cloud.firestore_v1.document import DocumentSnapshot

from gmail_tickets.adapters import records
from gmail_tickets.adapters.firestore_store.client import translated
from gmail_tickets.adapters.firestore_store.spill import Spilling
from gmail_tickets.adapters.firestore_store.tickets import TERMS, ticket_terms
from gmail_tickets.adapters.firestore_store.upgrade import TicketSweep
from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.search_terms import index_terms

MARKER = "search_upgrade"


class SearchUpgrade(Spilling, TicketSweep):
    def upgrade_search_terms(self, *, batch: int = 200) -> int:
        """Index up to `batch` tickets past the cursor (and their comments); return how many were looked at."""
        return self._sweep_tickets(MARKER, batch, self._index)

    def _index(self, snap: DocumentSnapshot, doc: dict[str, Any]) -> None:
        if TERMS not in doc:
            self._add_terms(snap, ticket_terms(records.from_doc(Ticket, doc)))
        for comment in self._stream(snap.reference.collection("comments")):
            if TERMS not in (comment.to_dict() or {}):
                self._add_terms(comment, index_terms([self._comment_text(comment)]))

    def _comment_text(self, snap: DocumentSnapshot) -> str:
        doc = snap.to_dict() or {}
        if "body_text_sha256" in doc:
            return self._unspill(snap.reference, doc, "body_text").decode()
        return str(doc.get("body_text") or "")

    def _add_terms(self, snap: DocumentSnapshot, terms: list[str]) -> None:
        try:
            with translated():
                snap.reference.update({TERMS: terms},
                                      option=self._client.write_option(last_update_time=snap.update_time))
            self._count(1)
        except (gexc.FailedPrecondition, gexc.Conflict, gexc.Aborted):
            pass  # changed meanwhile: this release rewrote it whole, terms included
