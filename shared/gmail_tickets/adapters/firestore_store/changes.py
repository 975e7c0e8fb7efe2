"""ChangeRepo on Firestore: change marks as documents `changes/{mark}` holding `seq`.

Bumped just AFTER the unit of work commits, in one batch of blind `Increment` writes, never inside the
transaction: every ingest transaction would otherwise write the one `changes/all` document, so they would queue
on its lock (and a process killed mid-commit would stall them all, as leases once did). The price: a process
that dies between its commit and the bump leaves that change unmarked until the next one (the console then shows
it on the next change, or on a reload). A failed bump is logged and dropped: the records are committed either way.

A unit that only made tickets (a new ticket from a mail, with its acknowledgement) bumps nothing: the new ticket's
own page cannot be open yet, and the desk's mark is read with the ticket that changed last (`updated_pos`, the
"Updated" view's indexed key: one more read per poll), whose time a new ticket's moves (domain/change_marks.py).
So a new ticket is its three documents and no mark write, and `changes/all`, which every ingest transaction once
incremented, is written only by the less frequent changes (comments, edits, notifications). Clocks of different
instances are the one blind spot: a ticket made on one a little "before" the last change made on another, by its
clock, moves the desk's mark only with the next change.
Marks are not counted in `write_count` (the bench's records per mail); `mark_writes` counts them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from google.api_core import exceptions as gexc
from google.cloud import firestore

from gmail_tickets.adapters.firestore_store.base import FirestoreBase
from gmail_tickets.adapters.firestore_store.client import translated
from gmail_tickets.domain import change_marks
from gmail_tickets.errors import TransientError

log = logging.getLogger(__name__)


def _doc_id(key: str) -> str:
    return key.replace(":", "-")  # "ticket:7" → "ticket-7"


def newest_change(updated_pos: object) -> int:
    """A number that moves with the ticket that changed last: its `updated_pos` ("<time>|<id, 15 digits>") as
    the time's microseconds plus the id (the id tells apart tickets made in the same microsecond)."""
    if not isinstance(updated_pos, str) or "|" not in updated_pos:
        return 0
    moment, _, number = updated_pos.rpartition("|")
    try:
        micros = int(datetime.fromisoformat(moment).timestamp() * 1_000_000)
    except ValueError:
        micros = 0
    return micros + int(number) if number.isdigit() else micros


class ChangesRepo(FirestoreBase):
    mark_writes = 0

    def _bump_marks(self, ticket_ids: Iterable[int], created: Iterable[int] = ()) -> None:
        keys = change_marks.keys_for(ticket_ids, created)
        if not keys:
            return
        batch = self._client.batch()
        for key in keys:
            batch.set(self._col("changes").document(_doc_id(key)), {"seq": firestore.Increment(1)}, merge=True)
        try:
            with translated():
                batch.commit()
        except (TransientError, gexc.GoogleAPICallError) as exc:  # the records stand; the next change marks them
            log.warning("change marks not bumped: %s", type(exc).__name__)
            return
        with self._lock:
            self.mark_writes += len(keys)

    def change_marks(self, keys: Sequence[str]) -> dict[str, int]:
        """One `get_all` of the mark documents (a read per key), and for the desk's mark one query of one
        document (the ticket changed last)."""
        if not keys:
            return {}
        refs = [self._col("changes").document(_doc_id(k)) for k in keys]
        with translated():
            snaps = {s.reference.id: s for s in self._client.get_all(refs)}
        found = {k: snaps.get(_doc_id(k)) for k in keys}
        marks = {k: int((s.to_dict() or {}).get("seq", 0)) if s is not None and s.exists else 0
                 for k, s in found.items()}
        if change_marks.ALL in marks:
            marks[change_marks.ALL] = change_marks.desk_mark(marks[change_marks.ALL], self._newest_change())
        return marks

    def _newest_change(self) -> int:
        query = (self._col("tickets").select(["updated_pos"])
                 .order_by("updated_pos", direction=firestore.Query.DESCENDING).limit(1))
        return next((newest_change((s.to_dict() or {}).get("updated_pos")) for s in self._stream(query)), 0)
