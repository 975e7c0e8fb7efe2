"""In a real browser, on mail ingested through the simulator: a copy of a mail set aside as the same mail stays in
sight (the suspended page's "Copies set aside", linking to the comment it copies); a different mail reusing a
Message-ID is a ticket of its own; a requester address no server accepts is marked on the list and the ticket,
and a public reply to it is refused with a clear message."""

from __future__ import annotations

from typing import Any

from tests.fixtures.browser import Console, running_console, sign_in, wait_for

SUPPORT, SALES = "support@example.com", "sales@example.com"


def _raw(sender: str, subject: str, body: str, message_id: str, to: str = SUPPORT) -> bytes:
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
            f"Message-ID: <{message_id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


def _arrive(console: Console, raw: bytes, address: str = SUPPORT) -> Any:
    stack = console.stack
    gmail_id = stack.sim.deliver(address, raw)
    wait_for(lambda: stack.store.ledger_contains(address, [gmail_id]), what="mail ingested")
    return stack.store.atomically(lambda uow: uow.get_ledger(address, gmail_id))


def test_copies_reused_message_ids_and_invalid_addresses_are_all_in_sight(page: Any) -> None:
    with running_console(mailboxes=(SUPPORT, SALES)) as console:
        both = _raw("Ann <ann@customer.example>", "Printer", "It smokes.", "one@mua.example", f"{SUPPORT}, {SALES}")
        original = _arrive(console, both)
        copy = _arrive(console, both, SALES)
        reused = _arrive(console, _raw("Bob <bob@other.example>", "Refund", "Mine is another mail.",
                                       "one@mua.example"))
        invalid = _arrive(console, _raw("Dora <dora..lee@customer.example>", "Parcel", "Where is it?",
                                        "dora@mua.example"))
        assert (original.outcome, copy.outcome, reused.outcome, invalid.outcome) == (
            "ticket", "ignored", "ticket", "ticket")
        assert reused.ticket_id != original.ticket_id
        sign_in(page, console.url, console.secret)

        page.goto(f"{console.url}/suspended")
        [row] = page.locator("#copies tbody tr").all()
        assert "ann@customer.example" in row.inner_text() and SALES in row.inner_text()
        assert page.locator("#suspended").count() == 0  # nothing else was suspended
        row.get_by_role("link", name=f"#{original.ticket_id}").click()
        page.wait_for_url(f"{console.url}/tickets/{original.ticket_id}#c-{original.comment_id}")
        assert "It smokes." in page.locator(f"#c-{original.comment_id}").inner_text()

        page.goto(f"{console.url}/tickets")
        marked = page.locator("tbody tr").filter(has=page.locator(".invalid-address"))
        assert marked.count() == 1 and "dora..lee@customer.example" in marked.inner_text()
        assert page.locator("tbody tr").filter(has_text="bob@other.example").count() == 1

        page.goto(f"{console.url}/tickets/{invalid.ticket_id}")
        assert page.locator("#invalid-address").is_visible()
        assert "two periods" in page.locator("dl.facts").inner_text()
        page.locator("#reply-body").fill("We are on it.")
        page.get_by_role("button", name="Submit").click()
        assert "No reply can be mailed to dora..lee@customer.example" in page.locator(".flash-error").inner_text()
        assert len(console.stack.store.comments(invalid.ticket_id)) == 1
