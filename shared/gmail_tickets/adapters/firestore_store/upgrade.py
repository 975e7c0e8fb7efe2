"""Upgrading stored tickets in place, in the background: Firestore has no schema migration to run on open, so the
sweep calls `upgrade_in_place` each minute and it works through the tickets written by older releases, a batch
at a time, from a cursor kept in counters/views_upgrade (counters/lifecycle_upgrade was the first pass's: a store
that finished it goes through its tickets once more for the views). Once past the last ticket it marks itself
done, and each later call costs one document read (none in a process that has seen it done).

A ticket written before the lifecycle lacks `version` (this release writes it on every ticket). Such a ticket
becomes "open" when an agent has replied on it, else stays "new" (as SQLite's migration 11 does), and learns when
its first mail was received. A ticket written before the views lacks `updated_pos`: it learns who wrote last and
when from its latest comment (as SQLite's migration 12 does) and gets the views' sort fields. The update is
conditional on the document's update time, so a ticket changed meanwhile (which then carries every field) is
never overwritten by the upgrade.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud.firestore_v1.document import DocumentSnapshot

from gmail_tickets.adapters import records
from gmail_tickets.adapters.firestore_store.base import FirestoreBase
from gmail_tickets.adapters.firestore_store.client import translated
from gmail_tickets.adapters.firestore_store.keys import time_key
from gmail_tickets.adapters.firestore_store.ticket_list import view_fields
from gmail_tickets.domain.model import Ticket

MARKER = "views_upgrade"


class TicketSweep(FirestoreBase):
    def _sweep_tickets(self, marker_name: str, batch: int, visit: Callable[[DocumentSnapshot, dict[str, Any]], None]
                       ) -> int:
        """Visit up to `batch` tickets past the cursor kept in counters/`marker_name`; return how many were looked
        at (0 once done: then a call costs one read, and none once this process has seen it done)."""
        done: set[str] = self.__dict__.setdefault("_upgrades_done", set())
        if marker_name in done:  # done stays done (this release writes every field): no read each minute
            return 0
        marker = self._col("counters").document(marker_name)
        state = self._get(marker).to_dict() or {}
        if state.get("done"):
            done.add(marker_name)
            return 0
        after = int(state.get("after", 0))
        snaps = self._stream(self._col("tickets").order_by("id").start_after({"id": after}).limit(batch))
        for snap in snaps:
            visit(snap, snap.to_dict() or {})
        last = int((snaps[-1].to_dict() or {}).get("id", after)) if snaps else after
        finished = len(snaps) < batch
        self._set(marker, {"after": last, "done": finished})
        if finished:
            done.add(marker_name)
        return len(snaps)


class LifecycleUpgrade(TicketSweep):
    def upgrade_in_place(self, *, batch: int = 200) -> int:
        """Upgrade up to `batch` tickets past the cursor; return how many were looked at (0: done)."""
        return self._sweep_tickets(MARKER, batch, self._visit)

    def _visit(self, snap: DocumentSnapshot, doc: dict[str, Any]) -> None:
        if "version" not in doc or "updated_pos" not in doc:
            self._upgrade(snap, doc)

    def _upgrade(self, snap: DocumentSnapshot, doc: dict[str, Any]) -> None:
        comments = [c.to_dict() or {} for c in self._stream(snap.reference.collection("comments"))]
        comments.sort(key=lambda c: (time_key(c.get("created_at")), int(c.get("seq", 0))))
        fields: dict[str, object] = {}
        if "version" not in doc:
            fields["version"] = 0
            if doc.get("status", "new") == "new":
                fields["status"] = "open" if any(c.get("author_kind") == "agent" for c in comments) else "new"
            if doc.get("received_at") is None and comments:
                fields["received_at"] = time_key(comments[0].get("created_at")) or None
        if "updated_pos" not in doc:
            fields.update(_activity(doc, comments[-1] if comments else None))
            fields.update(view_fields(records.from_doc(Ticket, {**doc, **fields})))
        try:
            with translated():
                snap.reference.update(fields, option=self._client.write_option(last_update_time=snap.update_time))
            self._count(1)
        except (gexc.FailedPrecondition, gexc.Conflict, gexc.Aborted):
            pass  # changed meanwhile: a newer write carries every field already


def _activity(doc: dict[str, Any], last: dict[str, Any] | None) -> dict[str, object]:
    """Who wrote last and when, from the latest comment; updated then, or when the ticket was made."""
    if last is None:
        return {"updated_at": doc.get("created_at")}
    at = time_key(last.get("created_at")) or None
    return {"last_author": last.get("author", ""), "last_author_kind": last.get("author_kind", "customer"),
            "last_activity_at": at, "updated_at": max(at or "", time_key(doc.get("created_at"))) or None}
