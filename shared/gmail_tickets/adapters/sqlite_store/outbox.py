"""OutboxRepo on SQLite: notifications (state, ticket_id and created_at copied into columns, for the
outbox_by_state / outbox_by_ticket / outbox_newest indexes) and each account's send window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gmail_tickets.adapters import records
from gmail_tickets.adapters.sqlite_store.migration_9 import NEXT_ATTEMPT_EXPR
from gmail_tickets.adapters.sqlite_store.tx import SqliteRepo, SqliteTx, doc_text, marks, record_of
from gmail_tickets.domain.outbox import Notification, NotificationState, SendWindow
from gmail_tickets.domain.paging import Page, PageRequest

# Retrying records due at `?`, the longest due first: a range of the partial index outbox_retry_due (migration 9).
DUE_NOTIFICATIONS_SQL = (f"SELECT doc FROM outbox WHERE {NEXT_ATTEMPT_EXPR} <= ? "
                         f"ORDER BY {NEXT_ATTEMPT_EXPR}, id LIMIT ?")


class OutboxTx(SqliteTx):
    def get_notification(self, notification_id: str) -> Notification | None:
        return self._get(Notification, "outbox", "id", notification_id)

    def put_notification(self, notification: Notification) -> None:
        self._upsert(
            "outbox",
            {"id": notification.id, "ticket_id": notification.ticket_id, "state": str(notification.state),
             "created_at": records.ts(notification.created_at), "auto_to": notification.counted_recipient,
             "auto_account": notification.connection.lower() if notification.counted_recipient else None},
            doc_text(notification),
        )
        self.touched_tickets.add(notification.ticket_id)

    def automatic_mail_count(self, *, since: datetime, recipient: str | None = None,
                             account: str | None = None) -> int:
        """Automatic mail meant to be sent (not skipped) since `since`, to `recipient` or from `account`: one range
        scan of outbox_auto_by_recipient or outbox_auto_by_account, inside this (serialised) transaction."""
        column, value = ("auto_to", recipient) if recipient is not None else ("auto_account", account)
        if value is None:
            raise ValueError("count by recipient or by account")
        row = self._one(f"SELECT COUNT(*) FROM outbox WHERE {column} = ? AND created_at >= ?",
                        (value.strip().lower(), records.ts(since)))
        return 0 if row is None else int(row[0])

    def get_send_window(self, address: str) -> SendWindow:
        """An account that never sent has no row: its window is empty, not missing."""
        return self._get(SendWindow, "send_windows", "address", address) or SendWindow(address)

    def put_send_window(self, window: SendWindow) -> None:
        self._upsert("send_windows", {"address": window.address}, doc_text(window))


class OutboxRepo(SqliteRepo):
    def get_notification(self, notification_id: str) -> Notification | None:
        found = self._records(Notification, "SELECT doc FROM outbox WHERE id = ?", (notification_id,))
        return found[0] if found else None

    def list_notifications(
        self, *, states: Sequence[NotificationState] = (), ticket_id: int | None = None, limit: int = 100,
        oldest_first: bool = False,
    ) -> list[Notification]:
        """Newest first (created_at, then id; records without a time last), or oldest first; served by
        outbox_by_state, outbox_by_ticket or outbox_newest."""
        wanted = list(dict.fromkeys(str(s) for s in states))
        where: list[str] = []
        params: list[Any] = []
        if ticket_id is not None:
            where.append("ticket_id = ?")
            params.append(ticket_id)
        if wanted:
            where.append(f"state IN ({marks(len(wanted))})")  # a handful of states: far below a chunk
            params.extend(wanted)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        order = "created_at IS NULL, created_at, id" if oldest_first else "created_at DESC, id DESC"
        return self._records(Notification, f"SELECT doc FROM outbox {clause}ORDER BY {order} LIMIT ?",
                             (*params, limit))

    def notification_page(self, states: Sequence[NotificationState], page: PageRequest) -> Page[Notification]:
        """Newest first by (created_at, id): outbox_by_state (or outbox_newest) walks from the cursor."""
        conditions, params = _in_states(states)
        return self._page("outbox", ("created_at", "id"), page, lambda r: record_of(Notification, r),
                          conditions, params)

    def count_notifications(self, states: Sequence[NotificationState]) -> int:
        return self._count_rows("outbox", *_in_states(states))

    def due_notifications(self, now: datetime, *, limit: int) -> list[Notification]:
        """Retrying records whose next attempt is at or before `now`, the longest due first: one range scan of
        the partial index outbox_retry_due (migration 9)."""
        return self._records(Notification, DUE_NOTIFICATIONS_SQL, (records.ts(now), limit))

    def get_send_window(self, address: str) -> SendWindow:
        found = self._records(SendWindow, "SELECT doc FROM send_windows WHERE address = ?", (address,))
        return found[0] if found else SendWindow(address)

    def list_send_windows(self) -> list[SendWindow]:
        return self._records(SendWindow, "SELECT doc FROM send_windows ORDER BY address", ())

    def record_gmail_sends(self, address: str, at: datetime, recipients: int) -> None:
        """Read-modify-write in one BEGIN IMMEDIATE transaction: SQLite serialises writers, nothing contends."""

        def add(tx: OutboxTx) -> None:
            window = tx.get_send_window(address)
            window.record(at, recipients)
            tx.put_send_window(window)

        self._transaction(add)


def _in_states(states: Sequence[NotificationState]) -> tuple[list[str], list[str]]:
    wanted = list(dict.fromkeys(str(s) for s in states))
    return ([f"state IN ({marks(len(wanted))})"], wanted) if wanted else ([], [])
