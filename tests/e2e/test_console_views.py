"""Ticket views in a real browser on the embedded stack (Gmail simulator, SQLite): more tickets than one page, so
Older and Newer walk the list by cursor with the total always said; a view's count; a filter and a sort; the
requester's page and the ticket page's "other tickets"; and a customer's mailed reply moving an old ticket to the
top of the list with its author shown as the last writer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import pytest

from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.ticket_fields import Priority, TicketStatus
from gmail_tickets.domain.ticket_query import TicketFilter
from gmail_tickets.ports import UnitOfWork
from tests.fixtures.browser import Console, deliver_all, follow, running_console, screenshot, sign_in, wait_for

DANA = "dana@customer.example"
FILLED = 62  # more than one page of 50
STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.SOLVED)
LONG_AGO = datetime(2025, 3, 1, tzinfo=UTC)


def _mail(subject: str, *, answering: str | None = None) -> tuple[bytes, str]:
    msg = EmailMessage()
    msg["From"] = f"Dana <{DANA}>"
    msg["To"] = "support@example.com"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id = make_msgid("dana", "customer.example")
    if answering is not None:
        msg["In-Reply-To"] = msg["References"] = answering
    msg["Subject"] = subject
    msg.set_content("Hello, any news?")
    return msg.as_bytes(), message_id


@pytest.fixture(scope="module")
def views_console() -> Iterator[Console]:
    """A stack of its own with FILLED tickets written long ago (through the store) and Dana's two mails."""
    with running_console() as running:
        def fill(uow: UnitOfWork) -> None:
            for i in range(FILLED):
                at = LONG_AGO + timedelta(hours=i)
                uow.add_ticket(Ticket(f"Filled {i:02d}", f"person{i % 7}@example.test", running.stack.mailboxes[0],
                                      created_at=at, updated_at=at, status=STATUSES[i % 4],
                                      priority=list(Priority)[i % 4]))

        running.stack.store.atomically(fill)
        yield running


@pytest.fixture
def admin(page: Any, views_console: Console) -> Any:
    sign_in(page, views_console.url, views_console.secret)
    return page


def _ids(page: Any) -> list[int]:
    cells = page.locator("#ticket-rows tr td:first-child")
    return [int(cells.nth(i).inner_text()) for i in range(cells.count())]


def test_older_and_newer_walk_every_ticket_once_with_the_total_said(admin: Any, views_console: Console) -> None:
    total = views_console.stack.store.count_tickets(TicketFilter())
    admin.goto(views_console.url + "/tickets?view=all")
    first = _ids(admin)
    assert len(first) == 50 and f"50 shown of {total} tickets" in admin.locator(".pager-count").inner_text()
    assert admin.locator(".pager-newer").count() == 0
    follow(admin, admin.get_by_role("link", name="Older →"))
    second = _ids(admin)
    assert len(second) == total - 50 and not set(first) & set(second)
    assert admin.locator(".pager-older").count() == 0
    follow(admin, admin.get_by_role("link", name="← Newer"))
    assert _ids(admin) == first


def test_a_views_count_a_filter_and_a_sort(admin: Any, views_console: Console) -> None:
    store = views_console.stack.store
    pending = store.count_tickets(TicketFilter(statuses=(TicketStatus.PENDING,)))
    admin.goto(views_console.url + "/tickets?view=all")
    assert pending == len(range(2, FILLED, 4))  # every fourth filled ticket, from the third on
    assert admin.locator("#view-pending .view-count").inner_text() == str(pending)

    admin.locator("#filter-status").select_option("pending")
    follow(admin, admin.get_by_role("button", name="Apply"))
    statuses = admin.locator("#ticket-rows .ticket-status").all_inner_texts()
    assert len(statuses) == pending and {s.lower() for s in statuses} == {"pending"}  # CSS capitalises
    assert f"of {pending} tickets" in admin.locator(".pager-count").inner_text()

    admin.goto(views_console.url + "/tickets?view=all")
    admin.locator("#sort").select_option("priority")
    follow(admin, admin.get_by_role("button", name="Apply"))
    priorities = [row.locator("td").nth(4).inner_text() for row in admin.locator("#ticket-rows tr").all()]
    rank = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
    assert priorities[0] == "urgent" and [rank[p] for p in priorities] == sorted(map(rank.get, priorities),
                                                                                   reverse=True)
    screenshot(admin, "ticket-views")


def test_a_customer_reply_moves_an_old_ticket_up_and_the_requester_page_lists_theirs(
        admin: Any, views_console: Console) -> None:
    stack = views_console.stack
    first, first_id = _mail("Where is my parcel?")
    second, _ = _mail("Can I change my address?")
    deliver_all(stack, [first])
    deliver_all(stack, [second])
    older = next(t for t in stack.store.list_tickets(limit=200) if t.subject == "Where is my parcel?")
    admin.goto(views_console.url + "/tickets?view=all")
    assert _ids(admin)[:2] == [older.id + 1, older.id]  # the newer mail's ticket on top

    reply, _ = _mail("Re: Where is my parcel?", answering=first_id)
    deliver_all(stack, [reply])
    wait_for(lambda: len(stack.store.comments(older.id or 0)) == 2, what="reply threaded")
    admin.goto(views_console.url + "/tickets?view=all")
    assert _ids(admin)[0] == older.id
    writer = admin.locator("#ticket-rows tr").first.locator(".last-writer").inner_text()
    assert DANA in writer and "customer" in writer

    admin.locator("#ticket-rows tr").first.locator(".requester-link").click()
    admin.wait_for_url(f"{views_console.url}/requesters/{DANA}")
    assert DANA in admin.locator("#requester-heading").inner_text()
    assert sorted(_ids(admin)) == [older.id, older.id + 1]

    admin.goto(f"{views_console.url}/tickets/{older.id}")
    others = admin.locator("#requester-others")
    assert "Can I change my address?" in others.inner_text()
    others.get_by_role("link", name=f"All 2 tickets from {DANA}").click()
    admin.wait_for_url(f"{views_console.url}/requesters/{DANA}")
