"""Contract: every list that grows (suspended, quarantined, notifications, the audit log) pages by keyset with no
ceiling — each record once, newest first, Older down and Newer back up — and counts what it holds, with ties
on the time broken the same way in both stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gmail_tickets.domain.model import QuarantineRecord, SuspendedMail
from gmail_tickets.domain.outbox import Notification, NotificationState
from gmail_tickets.domain.paging import Page, PageRequest
from gmail_tickets.domain.people import AuditEntry
from gmail_tickets.ports import Store, UnitOfWork

T0 = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)
N = 7


def _at(i: int) -> datetime:
    return T0 + timedelta(minutes=i // 2)  # pairs share a time: ties must neither repeat nor vanish


def _suspended(store: Store) -> tuple[Callable[[PageRequest], Page[Any]], Callable[[], int]]:
    for i in range(N):
        store.atomically(lambda uow, i=i: uow.add_suspended(
            SuspendedMail(f"s{i}", "help@acme.test", f"g{i}", "bot@x.test", f"subject {i}", "auto", _at(i))))
    return store.suspended_page, store.count_suspended


def _quarantine(store: Store) -> tuple[Callable[[PageRequest], Page[Any]], Callable[[], int]]:
    for i in range(N):
        store.atomically(lambda uow, i=i: uow.add_quarantine(
            QuarantineRecord(f"s{i}", "help@acme.test", "unparseable", b"raw", "gmail", created_at=_at(i))))
    return store.quarantine_page, store.count_quarantine


def _notifications(store: Store) -> tuple[Callable[[PageRequest], Page[Any]], Callable[[], int]]:
    def put(uow: UnitOfWork, i: int) -> None:
        uow.put_notification(Notification(f"s{i}", 1, "created", "help@acme.test", "help@acme.test",
                                          ("ann@x.test",), "Re", "text", f"m{i}@acme.test", created_at=_at(i),
                                          state=NotificationState.SENT if i != 3 else NotificationState.FAILED))
    for i in range(N + 1):
        store.atomically(lambda uow, i=i: put(uow, i))
    sent = [NotificationState.SENT]
    return (lambda page: store.notification_page(sent, page)), (lambda: store.count_notifications(sent))


def _audit(store: Store) -> tuple[Callable[[PageRequest], Page[Any]], Callable[[], int]]:
    for i in range(N):
        store.add_audit(AuditEntry(f"s{i}", _at(i), "admin", "agent.invite", f"a{i}@acme.test"))
    return store.audit_page, store.count_audit


@pytest.mark.parametrize("fill", [_suspended, _quarantine, _notifications, _audit],
                         ids=["suspended", "quarantine", "notifications", "audit"])
def test_pages_cover_every_record_once_newest_first_and_walk_back(store: Store, fill: Any) -> None:
    page_of, count = fill(store)
    expected = [f"s{i}" for i in reversed(range(N + (1 if fill is _notifications else 0))) if
                not (fill is _notifications and i == 3)]
    seen: list[str] = []
    pages = [page_of(PageRequest(3))]
    while pages[-1].older:
        pages.append(page_of(PageRequest.from_cursor(pages[-1].older, 3)))
    for page in pages:
        seen += [r.id for r in page.items]
    assert [_time(r) for p in pages for r in p.items] == sorted((_time(r) for p in pages for r in p.items),
                                                                reverse=True)
    assert sorted(seen) == sorted(expected) and len(seen) == len(expected) == count()
    assert pages[0].newer is None and len(pages) == 3
    back = page_of(PageRequest.from_cursor(pages[1].newer, 3))
    assert [r.id for r in back.items] == [r.id for r in pages[0].items] and back.newer is None


def _time(record: Any) -> datetime:
    return record.at if isinstance(record, AuditEntry) else record.created_at
