"""In a real browser, on mail ingested through the simulator: an auto-reply that is really a customer's request is
suspended; Recover on its row makes it a ticket (the row leaves the list, the count drops, the ticket has the
mail), a second Recover of the same row from a stale page is refused with the ticket's number; Delete drops
another suspended mail."""

from __future__ import annotations

from typing import Any

from tests.fixtures.browser import Console, follow, running_console, screenshot, sign_in, wait_for

SUPPORT = "support@example.com"


def _raw(sender: str, subject: str, body: str, message_id: str) -> bytes:
    return (f"From: {sender}\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
            f"Message-ID: <{message_id}>\r\nAuto-Submitted: auto-replied\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


def _arrive(console: Console, raw: bytes) -> Any:
    stack = console.stack
    gmail_id = stack.sim.deliver(SUPPORT, raw)
    wait_for(lambda: stack.store.ledger_contains(SUPPORT, [gmail_id]), what="mail ingested")
    return stack.store.atomically(lambda uow: uow.get_ledger(SUPPORT, gmail_id))


def test_recover_and_delete_on_the_suspended_page(page: Any) -> None:
    with running_console(mailboxes=(SUPPORT,)) as console:
        ann = _arrive(console, _raw("Ann <ann@customer.example>", "Printer", "It smokes, really.", "r1@mua.example"))
        news = _arrive(console, _raw("News <news@bulk.example>", "Offers", "Buy now.", "r2@bulk.example"))
        assert (ann.outcome, news.outcome) == ("suspended", "suspended")
        sign_in(page, console.url, console.secret)
        page.goto(f"{console.url}/suspended")
        assert page.locator("#suspended tbody tr").count() == 2
        screenshot(page, "suspended-mail")
        stale = page.context.new_page()  # the same list, opened before the recovery
        stale.goto(f"{console.url}/suspended")

        row = page.locator("#suspended tbody tr").filter(has_text="ann@customer.example")
        follow(page, row.get_by_role("button", name="Recover"))
        flash = page.locator(".flash-success").inner_text()
        [ticket] = console.stack.store.list_tickets()
        assert f"it is now ticket #{ticket.id}" in flash and ticket.requester == "ann@customer.example"
        assert page.locator("#suspended tbody tr").count() == 1
        assert "ann@customer.example" not in page.locator("#suspended").inner_text()

        again = stale.locator("#suspended tbody tr").filter(has_text="ann@customer.example")
        follow(stale, again.get_by_role("button", name="Recover"))
        assert f"recovered already, into ticket #{ticket.id}" in stale.locator(".flash-error").inner_text()
        assert len(console.stack.store.list_tickets()) == 1

        follow(page, page.locator("#suspended tbody tr").filter(has_text="news@bulk.example")
               .get_by_role("button", name="Delete"))
        assert "Suspended mail deleted." in page.locator(".flash-success").inner_text()
        assert page.locator("#suspended").count() == 0 and console.stack.store.count_suspended() == 0

        page.goto(f"{console.url}/tickets/{ticket.id}")
        assert "It smokes, really." in page.locator("main").inner_text()
