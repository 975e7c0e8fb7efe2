"""Search in a real browser, on the sample mailbox as the embedded stack imported it: the box in the header finds
tickets by folded words, prefixes and the requester, and "#N" opens ticket N."""

from __future__ import annotations

from typing import Any

from tests.fixtures.browser import Console, follow, screenshot


def _ticket_id(console: Console, subject: str) -> int:
    ticket = next(t for t in console.stack.store.list_tickets(limit=200) if t.subject == subject)
    assert ticket.id is not None
    return ticket.id


def _search(page: Any, console: Console, text: str) -> list[str]:
    page.goto(console.url + "/tickets")
    box = page.get_by_role("searchbox", name="Search tickets")
    box.fill(text)
    follow(page, box, key="Enter")
    return [row.locator("td").nth(1).inner_text() for row in page.locator("tbody tr").all()]


def test_search_folds_accents_and_finds_words_in_mail_bodies(signed_in: Any, console: Console) -> None:
    juergen = "Rückfrage zur Lieferung"
    assert _search(signed_in, console, "ruckfrage") == [juergen]
    assert _search(signed_in, console, "JURGEN muller") == [juergen]
    assert _search(signed_in, console, '"bestellung 4711"') == [juergen]  # a phrase from the mail's body
    assert signed_in.get_by_role("searchbox", name="Search tickets").input_value() == '"bestellung 4711"'
    screenshot(signed_in, "search-results")


def test_a_prefix_finds_every_word_it_starts(signed_in: Any, console: Console) -> None:
    found = _search(signed_in, console, "invoice*")
    assert "Invoice 2026-114 shows the wrong VAT" in found
    assert "The logo on our invoices is cut off" in found
    assert _search(signed_in, console, "elephant") == []
    assert signed_in.get_by_text("No tickets match “elephant”.").is_visible()


def test_hash_number_opens_that_ticket(signed_in: Any, console: Console) -> None:
    ticket_id = _ticket_id(console, "Invoice 2026-114 shows the wrong VAT")
    _search(signed_in, console, f"#{ticket_id}")
    signed_in.wait_for_url(f"{console.url}/tickets/{ticket_id}")
    assert signed_in.get_by_role("heading", name="Invoice 2026-114 shows the wrong VAT").count() >= 1
