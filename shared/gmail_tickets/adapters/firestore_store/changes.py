"""ChangeRepo on Firestore: change marks as documents `changes/{mark}` holding `seq`.

Bumped just AFTER the unit of work commits, in one batch of blind `Increment` writes, never inside the
transaction: every ingest transaction would otherwise write the one `changes/all` document, so they would queue
on its lock (and a process killed mid-commit would stall them all, as leases once did). The price: a process
that dies between its commit and the bump leaves that change unmarked until the next one (the console then shows
it on the next change, or on a reload). A failed bump is logged and dropped: the records are committed either way.
Marks are not counted in `write_count` (the bench's records per mail); `mark_writes` counts them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from google.api_core import exceptions as gexc
from google.cloud import firestore

from gmail_tickets.adapters.firestore_store.base import FirestoreBase
from gmail_tickets.adapters.firestore_store.client import translated
from gmail_tickets.domain import change_marks
from gmail_tickets.errors import TransientError

log = logging.getLogger(__name__)


def _doc_id(key: str) -> str:
    return key.replace(":", "-")  # "ticket:7" → "ticket-7"


class ChangesRepo(FirestoreBase):
    mark_writes = 0

    def _bump_marks(self, ticket_ids: Iterable[int]) -> None:
        keys = change_marks.keys_for(ticket_ids)
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
        """One `get_all` of the mark documents: a read per key."""
        if not keys:
            return {}
        refs = [self._col("changes").document(_doc_id(k)) for k in keys]
        with translated():
            snaps = {s.reference.id: s for s in self._client.get_all(refs)}
        found = {k: snaps.get(_doc_id(k)) for k in keys}
        return {k: int((s.to_dict() or {}).get("seq", 0)) if s is not None and s.exists else 0
                for k, s in found.items()}
