"""Live pages in two real browsers on the embedded stack: a new mail's ticket appears on an open list, another
agent's reply and its notification's state appear on an open ticket, and "Ana is replying…" shows while she
types, all within 10 s and without a reload; times read in the browser's own timezone with UTC on hover."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from gmail_tickets.domain.people import Agent, Role
from gmail_tickets.services import passwords
from tests.fixtures.browser import Console, deliver_all, running_console

PASSWORD = "correct horse battery"
LIVE_MS = 10_000  # the promise: within 10 s
NEW_MAIL = b"""From: Zoe <zoe@customer.example>
To: support@example.com
Subject: Live one
Message-ID: <live-1@customer.example>
Date: Sat, 05 Dec 2026 10:00:00 +0000

Is anyone there?
"""


@pytest.fixture
def live_console() -> Iterator[Console]:
    with running_console() as running:
        running.stack.store.save_agent(Agent("ana@acme.test", "Ana", Role.AGENT,
                                             password_hash=passwords.hash_password(PASSWORD)))
        deliver_all(running.stack, [NEW_MAIL])
        yield running


def _agent_page(browser: Any, console: Console) -> Any:
    page = browser.new_context(timezone_id="Asia/Tokyo").new_page()
    page.goto(console.url + "/sign-in")
    page.get_by_label("Email").fill("ana@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(console.url + "/tickets")
    return page


@pytest.mark.slow
def test_lists_and_the_open_ticket_follow_changes_without_a_reload(browser: Any, live_console: Console) -> None:
    console = live_console
    admin = browser.new_context(timezone_id="America/Sao_Paulo").new_page()
    admin.goto(console.url + "/sign-in")  # an agent account exists, so the secret has a form of its own
    admin.get_by_label("Admin secret").fill(console.secret)
    admin.get_by_role("button", name="Use the admin secret").click()
    admin.wait_for_url(console.url + "/tickets")
    admin.evaluate("() => { window.__sameDocument = true; }")  # gone if the page reloads
    assert admin.locator("tbody tr").count() == 1

    deliver_all(console.stack, [NEW_MAIL.replace(b"live-1", b"live-2").replace(b"Live one", b"Live two")])
    admin.get_by_role("link", name="Live two").wait_for(timeout=LIVE_MS)
    assert admin.evaluate("() => window.__sameDocument") is True

    [ticket] = [t for t in console.deps.store.list_tickets() if t.subject == "Live one"]
    admin.goto(f"{console.url}/tickets/{ticket.id}")
    admin.evaluate("() => { window.__sameDocument = true; }")
    received = admin.locator("#ticket-received time")  # the mail's Date: 10:00 UTC, shown in São Paulo's time
    assert received.get_attribute("title").endswith("2026-12-05 10:00 UTC") and "UTC" not in received.inner_text()
    assert re.search(r"\b0?7:00\b", received.inner_text()), received.inner_text()
    assert admin.locator("#ticket-created time").inner_text() == "now"  # recent times read relative

    ana = _agent_page(browser, console)
    ana.goto(f"{console.url}/tickets/{ticket.id}")
    ana.get_by_label("Your reply").press_sequentially("Yes, ")
    admin.get_by_text("Ana is replying…").wait_for(timeout=LIVE_MS)
    ana.get_by_label("Your reply").press_sequentially("we are here.")
    ana.get_by_role("button", name="Submit").click()
    ana.wait_for_url(f"{console.url}/tickets/{ticket.id}")

    admin.get_by_text("we are here.").wait_for(timeout=LIVE_MS)
    admin.locator("#notifications .notification-sent").filter(has_text="Agent reply").wait_for(timeout=LIVE_MS)
    assert admin.evaluate("() => window.__sameDocument") is True
    ana.context.close()
    admin.context.close()
