"""The ticket lifecycle in a real browser on the embedded stack (Gmail simulator, SQLite, push, relay): an agent
replies as pending, the customer answers by mail and the ticket reopens, the agent solves it, the sweep closes it
days later (its clock advanced), and a customer mail on the closed ticket opens a follow-up linking to it; internal
notes look unlike replies and are never mailed; two browsers editing one ticket: the second is told what changed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import pytest

from gmail_tickets.adapters.system_clock import SystemClock
from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.services.sweep import sweep
from tests.fixtures.browser import Console, deliver_all, running_console, screenshot, sign_in, wait_for

CUSTOMER = "Dana <dana@customer.example>"


@dataclasses.dataclass(frozen=True)
class LaterClock:
    days: float

    def now(self) -> Any:
        return SystemClock().now() + timedelta(days=self.days)


@pytest.fixture(scope="module")
def lifecycle_console() -> Iterator[Console]:
    """A stack of its own: these tests move tickets through statuses the read-only page tests must not see."""
    with running_console() as running:
        yield running


def _mail(subject: str, *, answering: bytes | None = None, body: str = "Hello.") -> bytes:
    msg = EmailMessage()
    msg["From"] = CUSTOMER
    msg["To"] = "support@example.com"
    msg["Date"] = format_datetime(SystemClock().now() - timedelta(hours=2))
    msg["Message-ID"] = make_msgid("dana", "customer.example")
    if answering is not None:
        original = message_from_bytes(answering, policy=policy.default)
        subject = "Re: " + str(original["Subject"])
        msg["In-Reply-To"] = msg["References"] = str(original["Message-ID"])
    msg["Subject"] = subject
    msg.set_content(body)
    return msg.as_bytes()


def _ticket(console: Console, subject: str) -> Ticket:
    return next(t for t in console.stack.store.list_tickets(limit=500) if t.subject == subject)


def _status(console: Console, ticket_id: int) -> TicketStatus | None:
    ticket = console.stack.store.get_ticket(ticket_id)
    return None if ticket is None else ticket.status


def _reply(page: Any, text: str, submit_as: str, *, note: bool = False) -> None:
    page.get_by_label("Internal note" if note else "Public reply").check()
    page.get_by_label("Your reply").fill(text)
    page.get_by_label("Submit as").select_option(submit_as)
    page.get_by_role("button", name="Submit").click()


def test_pending_reopened_solved_closed_and_followed_up(browser: Any, lifecycle_console: Console) -> None:
    console = lifecycle_console
    first = _mail("Scanner jams on page two")
    deliver_all(console.stack, [first])
    ticket = _ticket(console, "Scanner jams on page two")
    assert ticket.id is not None and ticket.received_at is not None
    url = f"{console.url}/tickets/{ticket.id}"
    page = browser.new_context().new_page()
    sign_in(page, console.url, console.secret)

    page.goto(url)
    assert page.locator("#ticket-status").inner_text().lower() == "new"
    # shown in the browser's timezone, UTC on hover (static/live.js)
    assert ticket.received_at.strftime("%Y-%m-%d %H:%M UTC") in page.locator("#ticket-received time").get_attribute(
        "title")
    _reply(page, "Which model is it?", "pending")
    page.wait_for_url(url)
    assert page.locator("#ticket-status").inner_text().lower() == "pending"
    assert _status(console, ticket.id) == TicketStatus.PENDING

    deliver_all(console.stack, [_mail("", answering=first, body="The X200.")])  # the customer answers by mail
    wait_for(lambda: _status(console, ticket.id or 0) == TicketStatus.OPEN, what="reopened")
    page.reload()
    assert page.locator("#ticket-status").inner_text().lower() == "open"
    assert "customer" in page.locator("#timeline tbody tr").first.inner_text()

    _reply(page, "Checked with the vendor: firmware 2.1 fixes it.", "on-hold", note=True)
    page.wait_for_url(url)
    note = page.locator("li.comment-note")
    assert note.count() == 1 and "Internal note" in note.inner_text()
    assert all("firmware 2.1" not in n.text for n in console.stack.store.list_notifications(ticket_id=ticket.id))
    _reply(page, "Please update to firmware 2.1.", "solved")
    page.wait_for_url(url)
    assert page.locator("#ticket-status").inner_text().lower() == "solved"
    screenshot(page, "ticket-lifecycle")

    later = dataclasses.replace(console.deps, clock=LaterClock(days=4.01))  # the sweep, four days on
    assert ticket.id in sweep(later).tickets_closed
    page.reload()
    assert page.locator("#ticket-status").inner_text().lower() == "closed"
    assert page.locator("#closed-note").is_visible() and page.get_by_label("Your reply").count() == 0
    closed = console.stack.store.get_ticket(ticket.id)

    deliver_all(console.stack, [_mail("", answering=first, body="It jams again.")])
    follow_up = wait_for(lambda: next((t for t in console.stack.store.list_tickets(limit=50)
                                       if t.follow_up_of == ticket.id), None), what="follow-up ticket")
    assert console.stack.store.get_ticket(ticket.id) == closed  # the closed ticket never changes
    page.goto(f"{console.url}/tickets/{follow_up.id}")
    page.get_by_role("link", name=f"#{ticket.id}", exact=True).click()
    page.wait_for_url(url)
    page.context.close()


def test_two_agents_on_one_ticket_the_second_sees_the_changes(browser: Any, lifecycle_console: Console) -> None:
    console = lifecycle_console
    deliver_all(console.stack, [_mail("Two agents, one ticket")])
    ticket = _ticket(console, "Two agents, one ticket")
    url = f"{console.url}/tickets/{ticket.id}"
    ana, bo = browser.new_context().new_page(), browser.new_context().new_page()
    for page in (ana, bo):
        sign_in(page, console.url, console.secret)
        page.goto(url)

    ana.get_by_label("Priority").select_option("urgent")
    ana.get_by_label("Assignee").fill("ana@acme.example")
    ana.get_by_role("button", name="Update ticket").click()
    ana.wait_for_url(url)
    assert ana.locator("#ticket-priority").inner_text() == "urgent"

    bo.get_by_label("Tags").fill("Printer, VIP")  # bo's form still shows the ticket as it was
    with bo.expect_response(f"{url}/fields") as info:
        bo.get_by_role("button", name="Update ticket").click()
    assert info.value.status == 409
    assert "Changed by admin meanwhile" in bo.get_by_role("alert").first.inner_text()
    bo.wait_for_load_state()  # all_inner_texts does not wait: the whole page first
    changes = bo.locator("#conflict li").all_inner_texts()
    assert any("Priority: normal → urgent" in c for c in changes)
    assert any("Assignee: none → ana@acme.example" in c for c in changes)
    assert bo.get_by_label("Tags").input_value() == "Printer, VIP"  # bo's input kept
    assert bo.locator("#ticket-priority").inner_text() == "urgent"  # the page shows the newer ticket
    stored = console.stack.store.get_ticket(ticket.id or 0)
    assert stored is not None and stored.tags == [] and stored.priority == "urgent"  # nothing overwritten

    bo.get_by_role("button", name="Update ticket").click()  # reviewed: submit again
    bo.wait_for_url(url)
    stored = console.stack.store.get_ticket(ticket.id or 0)
    assert stored is not None and (stored.tags, stored.priority, stored.assignee) == (
        ["printer", "vip"], "urgent", "ana@acme.example")

    # a reply typed against a stale page is refused the same way, its draft kept
    ana.get_by_label("Your reply").fill("We are on it.")
    ana.get_by_label("Submit as").select_option("pending")
    with ana.expect_response(f"{url}/reply") as info:
        ana.get_by_role("button", name="Submit").click()
    assert info.value.status == 409
    ana.wait_for_load_state()  # all_inner_texts does not wait: the whole page first
    assert "Tags: none → printer vip" in " ".join(ana.locator("#conflict li").all_inner_texts())
    assert ana.get_by_label("Your reply").input_value() == "We are on it."
    screenshot(ana, "ticket-conflict")
    ana.get_by_role("button", name="Submit").click()
    ana.wait_for_url(url)
    assert (console.stack.store.get_ticket(ticket.id or 0) or ticket).status == TicketStatus.PENDING

    ana.goto(console.url + "/tickets?view=pending")  # the list shows status and assignee
    row = ana.locator("tbody tr", has_text="Two agents, one ticket").locator("td")
    assert (row.nth(3).inner_text().lower(), row.nth(5).inner_text()) == ("pending", "ana@acme.example")
    for page in (ana, bo):
        page.context.close()
