"""Support addresses in a real browser: connecting through the simulator's Google consent page, refusals shown
to the admin, disconnect / reconnect without losing or doubling mail, and the relay's DNS guidance."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.embedded_stack import DEFAULT_ADDRESS
from gmail_tickets.services.connect_import import wait_for_import
from gmail_tickets.services.sync_mailbox import sync_mailbox
from tests.fixtures.browser import Console, running_console, screenshot, sign_in, wait_for

SPARE = ("sales@example.com", "billing@example.com", "wrong@example.com", "spare@example.com",
         "gap@example.com", "revoked@example.com", "bye@example.com", "second@example.com")


def mail(n: int, to: str, subject: str = "Question") -> bytes:
    return (f"From: Customer {n} <customer{n}@shop.example>\r\nTo: {to}\r\nSubject: {subject} {n}\r\n"
            f"Message-ID: <q{n}.{to}@shop.example>\r\n\r\nHello, question number {n}.\r\n").encode()


@pytest.fixture(scope="module")
def admin_console() -> Iterator[Console]:
    """A stack whose simulator holds mailboxes that are not connected yet; support@ is (and is the default)."""
    with running_console(sweep_interval=3600) as running:
        for address in SPARE:
            running.stack.sim.add_mailbox(address)
        yield running


@pytest.fixture
def admin(page: Any, admin_console: Console) -> Any:
    sign_in(page, admin_console.url, admin_console.secret)
    return page


def connect(page: Any, console: Console, address: str, *, choose: str | None = None, import_recent: bool = True,
            shot: bool = False) -> None:
    """Add address → Connect Gmail form → the consent page (click the account) → back to the list."""
    page.goto(console.url + "/addresses")
    page.get_by_role("link", name="Add address").click()
    page.get_by_label("Gmail or Google Workspace address").fill(address)
    checkbox = page.get_by_label("Create tickets from the last 300 emails")
    assert checkbox.is_checked()  # on by default
    if not import_recent:
        checkbox.uncheck()
    if shot:
        screenshot(page, "connect-form")
    page.get_by_role("button", name="Continue to Google").click()
    page.get_by_role("heading", name="Choose an account").wait_for()
    page.get_by_role("button", name=choose or address).click()
    page.wait_for_url(console.url + "/addresses")


def tickets_of(console: Console, address: str) -> list[Any]:
    return console.stack.store.list_tickets(limit=1000, connection=address)


def flash(page: Any) -> str:
    return page.locator(".flash").first.inner_text()


def test_connect_with_the_300_import(admin: Any, admin_console: Console) -> None:
    ids = [admin_console.stack.deliver(mail(n, "sales@example.com"), "sales@example.com") for n in range(3)]
    admin_console.stack.sim.mark_read("sales@example.com", ids[0])  # read mail is imported too
    connect(admin, admin_console, "sales@example.com", shot=True)
    assert flash(admin).startswith("Connected sales@example.com")
    assert wait_for_import(admin_console.deps, "sales@example.com")
    assert len(tickets_of(admin_console, "sales@example.com")) == 3
    admin.reload()
    card = admin.locator("section.address", has_text="sales@example.com")
    assert "connected" in card.inner_text()
    screenshot(admin, "support-addresses")


def test_connect_without_the_import(admin: Any, admin_console: Console) -> None:
    ids = [admin_console.stack.deliver(mail(n, "billing@example.com"), "billing@example.com") for n in range(2)]
    admin_console.stack.sim.mark_read("billing@example.com", ids[0])  # read: not new mail, left alone
    connect(admin, admin_console, "billing@example.com", import_recent=False)
    assert flash(admin).startswith("Connected billing@example.com")
    assert wait_for_import(admin_console.deps, "billing@example.com")
    assert len(tickets_of(admin_console, "billing@example.com")) == 1


def test_the_wrong_account_is_refused_with_the_reason(admin: Any, admin_console: Console) -> None:
    connect(admin, admin_console, "wrong@example.com", choose="spare@example.com")
    message = admin.get_by_role("alert").inner_text()
    assert "Google signed in spare@example.com, not wrong@example.com" in message
    assert admin_console.stack.store.get_connection("wrong@example.com") is None
    assert admin_console.stack.store.get_connection("spare@example.com") is None


def test_disconnecting_the_default_is_refused(admin: Any, admin_console: Console) -> None:
    admin.goto(admin_console.url + "/addresses")
    admin.get_by_role("button", name=f"Disconnect {DEFAULT_ADDRESS}").click()
    assert "is the default support address" in admin.get_by_role("alert").inner_text()
    assert admin_console.stack.store.get_connection(DEFAULT_ADDRESS).status == "connected"


def test_disconnect_deliver_reconnect_imports_the_gap_once(admin: Any, admin_console: Console) -> None:
    address = "gap@example.com"
    deliver_first = admin_console.stack.deliver(mail(1, address), address)
    connect(admin, admin_console, address)
    assert wait_for_import(admin_console.deps, address)
    wait_for(lambda: len(tickets_of(admin_console, address)) == 1, what="first mail imported")

    admin.get_by_role("button", name=f"Disconnect {address}").click()
    assert "Disconnected" in flash(admin)
    gap = [admin_console.stack.deliver(mail(n, address, "While away"), address) for n in (2, 3)]
    admin.reload()
    admin.get_by_role("button", name=f"Reconnect {address}").click()
    admin.get_by_role("button", name=address).click()  # the consent page
    admin.wait_for_url(admin_console.url + "/addresses")
    assert wait_for_import(admin_console.deps, address)
    store = admin_console.stack.store
    wait_for(lambda: len(store.ledger_contains(address, [deliver_first, *gap])) == 3, what="gap imported")
    sync_mailbox(admin_console.deps, address)  # a sweep racing the reconnect changes nothing
    tickets = tickets_of(admin_console, address)
    assert len(tickets) == 3
    per_mail = Counter(c.gmail_message_id for t in tickets for c in store.comments(t.id or 0))
    assert max(per_mail.values()) == 1


def test_revoked_token_shows_disconnected_with_reconnect(admin: Any, admin_console: Console) -> None:
    address = "revoked@example.com"
    connect(admin, admin_console, address, import_recent=False)
    assert wait_for_import(admin_console.deps, address)
    admin_console.stack.sim.revoke(address)
    admin_console.stack.deliver(mail(1, address), address)

    def disconnected() -> bool:  # the push's own sync may hold the lease ("busy"): whichever sync runs marks it
        sync_mailbox(admin_console.deps, address)
        connection = admin_console.deps.store.get_connection(address)
        return connection is not None and connection.status == "disconnected"

    wait_for(disconnected, what=f"{address} marked disconnected")
    admin.goto(admin_console.url + "/addresses")
    card = admin.locator("section.address", has_text=address)
    assert "disconnected" in card.inner_text()
    assert card.get_by_role("button", name=f"Reconnect {address}").is_visible()


def test_send_via_gmail_off_shows_the_spf_guidance(admin: Any, admin_console: Console) -> None:
    admin.goto(admin_console.url + "/addresses")
    admin.get_by_role("button", name=f"Turn off sending via Gmail for {DEFAULT_ADDRESS}").click()
    card = admin.locator("section.address", has_text=DEFAULT_ADDRESS)
    guidance = card.locator("details.guidance")
    assert "SPF" in guidance.inner_text()
    admin.get_by_role("button", name=f"Turn on sending via Gmail for {DEFAULT_ADDRESS}").click()
    assert admin.locator("section.address", has_text=DEFAULT_ADDRESS).locator("details.guidance").count() == 0


def delete_via_confirmation(page: Any, console: Console, address: str) -> None:
    page.get_by_role("link", name=f"Delete {address}…").click()
    page.get_by_role("heading", name=f"Delete {address}?").wait_for()
    page.get_by_role("button", name=f"Delete {address}").click()
    page.wait_for_url(console.url + "/addresses")


def test_delete_asks_first_and_needs_a_disconnect(admin: Any, admin_console: Console) -> None:
    address = "bye@example.com"
    connect(admin, admin_console, address, import_recent=False)
    assert wait_for_import(admin_console.deps, address)
    delete_via_confirmation(admin, admin_console, address)
    assert admin.get_by_role("alert").inner_text() == f"Disconnect {address} before deleting it."
    admin.get_by_role("button", name=f"Disconnect {address}").click()
    delete_via_confirmation(admin, admin_console, address)
    assert flash(admin) == f"Deleted {address}."
    assert admin.locator("section.address", has_text=address).count() == 0


def test_make_default_moves_the_badge(admin: Any, admin_console: Console) -> None:
    address = "second@example.com"
    connect(admin, admin_console, address, import_recent=False)
    assert wait_for_import(admin_console.deps, address)
    admin.get_by_role("button", name=f"Make {address} the default").click()
    assert flash(admin) == f"{address} is now the default address."
    assert admin.locator("section.address", has_text=address).get_by_text("Default", exact=True).is_visible()
    admin.get_by_role("button", name=f"Make {DEFAULT_ADDRESS} the default").click()
    defaults = [a.address for a in admin_console.stack.store.list_support_addresses() if a.is_default]
    assert defaults == [DEFAULT_ADDRESS]


def test_cancel_on_googles_page_connects_nothing(admin: Any, admin_console: Console) -> None:
    admin.goto(admin_console.url + "/addresses/connect")
    admin.get_by_label("Gmail or Google Workspace address").fill("spare@example.com")
    admin.get_by_role("button", name="Continue to Google").click()
    admin.get_by_role("button", name="Cancel").click()
    admin.wait_for_url(admin_console.url + "/addresses")
    assert "Google did not grant access (access_denied)" in admin.get_by_role("alert").inner_text()
    assert admin_console.stack.store.get_connection("spare@example.com") is None
