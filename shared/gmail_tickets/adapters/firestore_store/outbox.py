"""OutboxRepo on Firestore: outbox/{notification id} (state, ticket_id and created_at are top-level fields,
which single-field indexes serve) and send_windows/{address}, one account's Gmail sends over 24 h."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.query import Query

from gmail_tickets.adapters import records
from gmail_tickets.adapters.firestore_store import keys
from gmail_tickets.adapters.firestore_store.base import FirestoreBase
from gmail_tickets.adapters.firestore_store.client import translated
from gmail_tickets.adapters.firestore_store.ledger import IN_LIMIT
from gmail_tickets.adapters.firestore_store.transaction import Doc, FirestoreTx
from gmail_tickets.domain.outbox import Notification, NotificationState, SendWindow
from gmail_tickets.domain.paging import Page, PageRequest
from gmail_tickets.domain.send_window import bucket_of, stale_hours


def _newest_first(docs: list[Doc]) -> list[Doc]:
    """created_at then id, both descending, records without a time last: the SQLite store's order. The
    times are records.py's fixed-width UTC text, so text order is time order."""
    return sorted(docs, key=lambda d: (d.get("created_at") or "", d["id"]), reverse=True)


def _oldest_first(docs: list[Doc]) -> list[Doc]:
    """The reverse, except that records without a time still come last (as in the SQLite store)."""
    return sorted(docs, key=lambda d: (d.get("created_at") is None, d.get("created_at") or "", d["id"]))


class OutboxTx(FirestoreTx):
    def get_notification(self, notification_id: str) -> Notification | None:
        return self.read_record(Notification, self._store._ref("outbox", notification_id))

    def put_notification(self, notification: Notification) -> None:
        doc = records.to_doc(notification)
        doc.update(keys.automatic_mail_fields(notification.counted_recipient, notification.connection,
                                              notification.created_at))
        self.set(self._store._ref("outbox", notification.id), doc)
        self.touched_tickets.add(notification.ticket_id)

    def automatic_mail_count(self, *, since: datetime, recipient: str | None = None,
                             account: str | None = None) -> int:
        """A count aggregation over one range of `auto_to_pos` or `auto_account_pos`, run outside the
        transaction (as FirestoreTx.query, for the same reason: a transactional count would lock the whole
        outbox collection on the emulator). The account's send window, read in the transaction, still
        serializes one account's sends; two accounts writing to one recipient at once may each miss the other's
        newest record, an off-by-one in an anti-spam limit."""
        field, value = ("auto_to_pos", recipient) if recipient is not None else ("auto_account_pos", account)
        if value is None:
            raise ValueError("count by recipient or by account")
        query = keys.range_since(self._store._col("outbox"), field, keys.sender_prefix(value), since)
        with translated():
            result = query.count(alias="n").get()
        return int(result[0][0].value)

    def get_send_window(self, address: str) -> SendWindow:
        """An account that never sent has no document: its window is empty, not missing."""
        return self.read_record(SendWindow, self._store._ref("send_windows", address)) or SendWindow(address)

    def put_send_window(self, window: SendWindow) -> None:
        # A blind `set`, never `update`: `update` reads dots in the bucket keys (ISO times) as field paths.
        self.set(self._store._ref("send_windows", window.address), records.to_doc(window))


class OutboxRepo(FirestoreBase):
    def get_notification(self, notification_id: str) -> Notification | None:
        return self._get_record(Notification, self._ref("outbox", notification_id))

    def list_notifications(
        self, *, states: Sequence[NotificationState] = (), ticket_id: int | None = None, limit: int = 100,
        oldest_first: bool = False,
    ) -> list[Notification]:
        """Newest first (created_at, then id; records without a time last), or oldest first.

        Each query has at most one filter and never orders by another field, so the automatic single-field
        indexes serve it (no composite index, see REQUIRED_INDEXES). With a filter, every match is read and
        sorted here before `limit` applies: fine for one ticket's few records and for the live states (queued,
        sending, failed), but it reads them all, so listing `sent` grows with the history.
        """
        wanted = list(dict.fromkeys(str(s) for s in states))
        col = self._col("outbox")
        if ticket_id is None and not wanted:
            # Ties on created_at fall to the document id, which is the notification id (notification_id's
            # characters are all safe for doc_id), descending like the order asked for.
            direction = firestore.Query.ASCENDING if oldest_first else firestore.Query.DESCENDING
            query = col.order_by("created_at", direction=direction).limit(limit)
            docs = [s.to_dict() or {} for s in self._stream(query)]
        elif ticket_id is not None:
            query = col.where(filter=FieldFilter("ticket_id", "==", int(ticket_id)))
            docs = [s.to_dict() or {} for s in self._stream(query)]
            if wanted:  # both filters: one ticket's records are few, so its states are picked here
                docs = [d for d in docs if d.get("state") in wanted]
        else:
            docs = []
            for start in range(0, len(wanted), IN_LIMIT):
                query = col.where(filter=FieldFilter("state", "in", wanted[start : start + IN_LIMIT]))
                docs.extend(s.to_dict() or {} for s in self._stream(query))
        ordered = _oldest_first(docs) if oldest_first else _newest_first(docs)
        return [records.from_doc(Notification, d) for d in ordered[:limit]]

    def notification_page(self, states: Sequence[NotificationState], page: PageRequest) -> Page[Notification]:
        """Newest first by created_at (then the id), the states picked by an `in` (or an equality): served by
        the composite index on (state, created_at) that REQUIRED_INDEXES lists."""
        return self._page("outbox", _of_states(self._col("outbox"), states), ("created_at",), page,
                          lambda s: records.from_doc(Notification, s.to_dict() or {}))

    def count_notifications(self, states: Sequence[NotificationState]) -> int:
        return self._count_of(_of_states(self._col("outbox"), states))

    def due_notifications(self, now: datetime, *, limit: int) -> list[Notification]:
        """Retrying records whose next attempt is at or before `now`, the longest due first: one range of the
        top-level `next_attempt_at` (records.py's time text), which its automatic single-field index serves;
        other records hold null there, which a range on text never matches."""
        query = (self._col("outbox").where(filter=FieldFilter("next_attempt_at", "<=", records.ts(now)))
                 .order_by("next_attempt_at").limit(limit))
        return [records.from_doc(Notification, s.to_dict() or {}) for s in self._stream(query)]

    def get_send_window(self, address: str) -> SendWindow:
        return self._get_record(SendWindow, self._ref("send_windows", address)) or SendWindow(address)

    def list_send_windows(self) -> list[SendWindow]:
        return self._records(SendWindow, self._col("send_windows").order_by("address"))

    def record_gmail_sends(self, address: str, at: datetime, recipients: int) -> None:
        """One server-side Increment on the hour's bucket, merged into the window document: no read and no
        transaction, so an account's concurrent senders never contend on this (hot) document. The same write
        deletes the buckets of the hours that left the window in the week before (`stale_hours`: deleting a
        bucket that is not there is a no-op), so the map stays bounded without a sweep pruning it; readers count
        only buckets still in the window anyway."""
        if recipients < 0:
            raise ValueError("recipients cannot be negative")
        hour = records.ts(bucket_of(at))
        buckets: dict[str | None, object] = {records.ts(h): firestore.DELETE_FIELD for h in stale_hours(at)}
        buckets[hour] = firestore.Increment(recipients)
        doc = {"address": address, "buckets": buckets}
        with translated():
            self._ref("send_windows", address).set(doc, merge=True)  # merge: nested keys are not field paths here
        self._count(1)


def _of_states(query: Query | firestore.CollectionReference,
               states: Sequence[NotificationState]) -> Query | firestore.CollectionReference:
    wanted = list(dict.fromkeys(str(s) for s in states))
    if len(wanted) == 1:
        return query.where(filter=FieldFilter("state", "==", wanted[0]))
    return query.where(filter=FieldFilter("state", "in", wanted[:IN_LIMIT])) if wanted else query
