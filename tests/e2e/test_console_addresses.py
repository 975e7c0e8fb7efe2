"""Support addresses in a real browser, as a newcomer following Zendesk's guide to its Gmail connector meets them:
the connect page that says what each import choice does, the label, the access asked and Google's Limited Use
disclosure; Google's consent page (the simulator's); live import progress; refusals that name the account chosen;
the limit banner on another page with the time Gmail takes mail again; DNS guidance by address kind with "check
now" against a DNS responder on 127.0.0.1; actions that cannot apply disabled with their reason; disconnect and
delete behind a page that says what they do; reconnect with a brand change."""

from __future__ import annotations

import dataclasses
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from devstack.embedded_stack import DEFAULT_ADDRESS, EmbeddedStack
from gmail_tickets import bootstrap
from gmail_tickets.domain.model import Brand
from gmail_tickets.domain.outbox import SendWindow
from gmail_tickets.services.connect_import import wait_for_import
from gmail_tickets.services.sync_mailbox import sync_mailbox
from tests.fixtures.browser import Console, screenshot, sign_in, wait_for
from tests.fixtures.dns_server import TxtResponder, txt_responder

SPARE = ("sales@example.com", "billing@example.com", "wrong@example.com", "spare@example.com",
         "gap@example.com", "revoked@example.com", "bye@example.com", "second@example.com", "bulk@example.com",
         "helpdesk.acme@gmail.com")
LIMITED_USE = ("https://developers.google.com/terms/api-services-user-data-policy"
               "#additional_requirements_for_specific_api_scopes")


def mail(n: int, to: str, subject: str = "Question", domain: str = "shop.example") -> bytes:
    return (f"From: Customer {n} <customer{n}@{domain}>\r\nTo: {to}\r\nSubject: {subject} {n}\r\n"
            f"Message-ID: <q{n}.{to}@{domain}>\r\n\r\nHello, question number {n}.\r\n").encode()


@dataclasses.dataclass
class AdminConsole(Console):
    dns: TxtResponder | None = None


@pytest.fixture(scope="module")
def admin_console() -> Iterator[AdminConsole]:
    """A stack whose simulator holds mailboxes that are not connected yet (support@ is, and is the default), a
    second brand, and the console's "check now" pointed at a DNS responder on 127.0.0.1 (GT_DNS_NAMESERVER)."""
    with txt_responder({}) as dns, tempfile.TemporaryDirectory(prefix="gt-console-") as state_dir, \
            EmbeddedStack(Path(state_dir), sweep_interval=3600) as stack:
        assert stack.deps is not None
        for address in SPARE:
            stack.sim.add_mailbox(address)
        stack.store.save_brand(Brand(id="acme-eu", name="Acme Europe"))
        served = bootstrap.serve_console(dataclasses.replace(stack.config, dns_nameserver=dns.nameserver),
                                         stack.deps)
        try:
            yield AdminConsole(served.url, served.admin_secret, stack, stack.deps, dns)
        finally:
            served.stop()


@pytest.fixture
def admin(page: Any, admin_console: AdminConsole) -> Any:
    sign_in(page, admin_console.url, admin_console.secret)
    return page


def connect(page: Any, console: Console, address: str, *, choose: str | None = None, import_recent: bool = True,
            brand: str | None = None, shot: bool = False) -> None:
    """Add address → Connect Gmail form → the consent page (click the account) → back to the list."""
    page.goto(console.url + "/addresses")
    page.get_by_role("link", name="Add address").click()
    page.get_by_label("Gmail or Google Workspace address").fill(address)
    assert page.get_by_label("Create tickets from the last 300 emails").is_checked()  # the default
    if not import_recent:
        page.get_by_label("Only new mail").check()
    if brand:
        page.get_by_label("Brand").select_option(label=brand)
    if shot:
        screenshot(page, "connect-form")
    page.get_by_role("button", name="Continue to Google").click()
    page.get_by_role("heading", name="Choose an account").wait_for()
    page.get_by_role("button", name=choose or address).click()
    page.wait_for_url(console.url + "/addresses")


def card(page: Any, address: str) -> Any:
    return page.locator("section.address", has_text=address)


def tickets_of(console: Console, address: str) -> list[Any]:
    return console.stack.store.list_tickets(limit=1000, connection=address)


def flash(page: Any) -> str:
    return page.locator(".flash").first.inner_text()


def test_the_connect_page_says_what_connecting_does(admin: Any, admin_console: AdminConsole) -> None:
    response = admin.goto(admin_console.url + "/addresses/connect")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "connect-src 'self';" in csp and "unsafe" not in csp
    text = admin.locator("main").inner_text()
    assert "The newest 300 mails in the inbox, read or unread, become tickets" in text
    assert "send no acknowledgements" in text
    assert "Only unread inbox mail of the last hour becomes tickets" in text
    assert "gets the label Helpdesk in Gmail" in text
    assert "https://www.googleapis.com/auth/gmail.modify" in text and "read-only access cannot label or send" in text
    assert "Limited Use requirements" in text
    link = admin.get_by_role("link", name="Google API Services User Data Policy")
    assert link.get_attribute("href") == LIMITED_USE
    assert "Pick the right Google account" in text


def test_connect_with_the_300_import_shows_live_progress(admin: Any, admin_console: AdminConsole) -> None:
    address, sim = "bulk@example.com", admin_console.stack.sim
    # senders of many domains: 120 from one would look like a burst to the live mail that follows in other tests
    ids = [admin_console.stack.deliver(mail(n, address, domain=f"old{n}.example"), address) for n in range(120)]
    sim.mark_read(address, ids[0])  # read mail is imported too
    sim.set_latency(per_method={"batch": 1200})  # each chunk of 50 takes a while: the bar must move on its own
    try:
        connect(admin, admin_console, address, shot=True)
        assert flash(admin).startswith(f"Connected {address}. Importing 120 mails now")
        count = card(admin, address).locator(".import-count")
        seen = {count.inner_text()}
        if seen == {"0 of 120 mails"}:  # one count while importing: the ledger's total is not shown beside it
            assert "Mail recorded" not in card(admin, address).inner_text()
        wait_for(lambda: seen.add(count.inner_text()) or "done: 120 of 120 mails" in seen, timeout=60,
                 what="the progress to finish without a reload")
    finally:
        sim.set_latency(per_method={"batch": 0})
    assert any(s.startswith(("50 of 120", "100 of 120")) for s in seen), seen  # it moved through the chunks
    assert card(admin, address).locator("progress").get_attribute("value") == "120"
    screenshot(admin, "support-addresses")
    assert wait_for_import(admin_console.deps, address)
    assert len(tickets_of(admin_console, address)) == 120


def test_connect_only_new_mail_with_a_brand(admin: Any, admin_console: AdminConsole) -> None:
    ids = [admin_console.stack.deliver(mail(n, "billing@example.com"), "billing@example.com") for n in range(2)]
    admin_console.stack.sim.mark_read("billing@example.com", ids[0])  # read: not new mail, left alone
    connect(admin, admin_console, "billing@example.com", import_recent=False, brand="Acme Europe")
    assert flash(admin).startswith("Connected billing@example.com")
    assert wait_for_import(admin_console.deps, "billing@example.com")
    assert len(tickets_of(admin_console, "billing@example.com")) == 1
    assert admin_console.stack.store.get_connection("billing@example.com").brand_id == "acme-eu"


def test_the_wrong_account_is_refused_saying_which_was_chosen(admin: Any, admin_console: AdminConsole) -> None:
    connect(admin, admin_console, "wrong@example.com", choose="spare@example.com")
    message = admin.get_by_role("alert").inner_text()
    assert "Google signed in spare@example.com, not wrong@example.com" in message
    assert "choose wrong@example.com" in message and "connect again" in message
    assert admin_console.stack.store.get_connection("wrong@example.com") is None
    assert admin_console.stack.store.get_connection("spare@example.com") is None


def test_actions_that_cannot_apply_are_disabled_with_the_reason(admin: Any, admin_console: AdminConsole) -> None:
    admin.goto(admin_console.url + "/addresses")
    default = card(admin, DEFAULT_ADDRESS)
    button = default.get_by_role("button", name=f"Disconnect {DEFAULT_ADDRESS}")
    assert button.is_disabled()
    assert "make another address the default first" in default.inner_text()
    assert default.get_by_role("button", name=f"Delete {DEFAULT_ADDRESS}").is_disabled()
    assert admin_console.stack.store.get_connection(DEFAULT_ADDRESS).status == "connected"


def test_disconnect_confirm_deliver_reconnect_with_a_new_brand(admin: Any, admin_console: AdminConsole) -> None:
    address = "gap@example.com"
    deliver_first = admin_console.stack.deliver(mail(1, address), address)
    connect(admin, admin_console, address)
    assert wait_for_import(admin_console.deps, address)
    wait_for(lambda: len(tickets_of(admin_console, address)) == 1, what="first mail imported")

    admin.get_by_role("link", name=f"Disconnect {address}…").click()
    page_text = admin.locator("main").inner_text()
    assert "no longer becomes tickets" in page_text and "through the mail relay" in page_text
    admin.get_by_role("button", name=f"Disconnect {address}").click()
    assert "Disconnected" in flash(admin)
    make_default = card(admin, address).get_by_role("button", name=f"Make {address} the default")
    assert make_default.is_disabled() and "reconnect it first" in card(admin, address).inner_text()
    banner = admin.get_by_role("region", name="Support addresses that need attention")
    assert f"{address} is disconnected: an admin disconnected it in this console" in banner.inner_text()

    gap = [admin_console.stack.deliver(mail(n, address, "While away"), address) for n in (2, 3)]
    admin.goto(admin_console.url + "/tickets")  # the banner is on every page, with the way back
    admin.get_by_role("link", name=f"Reconnect {address}").click()
    assert admin.get_by_label("Brand").input_value() == "default"  # its brand, shown
    admin.get_by_label("Brand").select_option(label="Acme Europe")
    admin.get_by_role("button", name="Continue to Google").click()
    admin.get_by_role("button", name=address).click()  # the consent page
    admin.wait_for_url(admin_console.url + "/addresses")
    assert flash(admin).startswith(f"Reconnected {address}")
    assert "Importing" not in flash(admin) and "Acme Europe" in flash(admin)
    assert wait_for_import(admin_console.deps, address)
    store = admin_console.stack.store
    wait_for(lambda: len(store.ledger_contains(address, [deliver_first, *gap])) == 3, what="gap imported")
    sync_mailbox(admin_console.deps, address)  # a sweep racing the reconnect changes nothing
    tickets = tickets_of(admin_console, address)
    assert len(tickets) == 3
    per_mail = Counter(c.gmail_message_id for t in tickets for c in store.comments(t.id or 0))
    assert max(per_mail.values()) == 1
    assert store.get_connection(address).brand_id == "acme-eu"
    assert any(e.action == "mailbox.brand" and e.target == address for e in store.list_audit(limit=50))


def test_change_the_brand_at_any_time(admin: Any, admin_console: AdminConsole) -> None:
    admin.goto(admin_console.url + "/addresses")
    card(admin, DEFAULT_ADDRESS).get_by_label(f"Brand of {DEFAULT_ADDRESS}").select_option(label="Acme Europe")
    card(admin, DEFAULT_ADDRESS).get_by_role("button", name=f"Change brand of {DEFAULT_ADDRESS}").click()
    assert flash(admin).startswith(f"New tickets from {DEFAULT_ADDRESS} get the brand Acme Europe")
    store = admin_console.stack.store
    assert store.get_connection(DEFAULT_ADDRESS).brand_id == "acme-eu"
    entry = next(e for e in store.list_audit(limit=50) if e.action == "mailbox.brand")
    assert entry.target == DEFAULT_ADDRESS and entry.detail == "default → acme-eu"
    card(admin, DEFAULT_ADDRESS).get_by_label(f"Brand of {DEFAULT_ADDRESS}").select_option(label="Default brand")
    card(admin, DEFAULT_ADDRESS).get_by_role("button", name=f"Change brand of {DEFAULT_ADDRESS}").click()
    assert store.get_connection(DEFAULT_ADDRESS).brand_id == "default"


def test_revoked_token_is_explained_with_reconnect(admin: Any, admin_console: AdminConsole) -> None:
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
    text = card(admin, address).inner_text()
    assert "access was revoked in the Google account" in text and "invalid_grant" not in text
    assert card(admin, address).get_by_role("link", name=f"Reconnect {address}").is_visible()


def test_limit_reached_banner_on_another_page_with_the_time(admin: Any, admin_console: AdminConsole) -> None:
    store, now = admin_console.stack.store, admin_console.deps.clock.now()
    until = (now + timedelta(hours=5)).replace(second=0, microsecond=0)
    original = store.get_send_window(DEFAULT_ADDRESS)
    store.atomically(lambda uow: uow.put_send_window(SendWindow(DEFAULT_ADDRESS, blocked_until=until)))
    try:
        admin.goto(admin_console.url + "/tickets")
        banner = admin.get_by_role("region", name="Support addresses that need attention")
        text = banner.inner_text()
        assert f"{DEFAULT_ADDRESS} has reached Gmail's sending limit" in text
        assert "Gmail takes its mail again at" in text  # in the agent's timezone; UTC on hover:
        assert banner.locator("time").first.get_attribute("title").endswith(f"{until:%Y-%m-%d %H:%M} UTC")
        assert "The relay sends its mail meanwhile; if this happens often, turn Gmail sending off" in text
        admin.goto(admin_console.url + "/addresses")
        facts = card(admin, DEFAULT_ADDRESS).locator("dl.facts").inner_text()
        assert "limit reached (Gmail's own count" in facts
        titles = card(admin, DEFAULT_ADDRESS).locator("dl.facts time").evaluate_all("ts => ts.map(t => t.title)")
        assert any(title.endswith(f"{until:%Y-%m-%d %H:%M} UTC") for title in titles), titles
        card(admin, DEFAULT_ADDRESS).get_by_text("What is this limit?").click()
        assert "2,000 recipients in any rolling 24 hours" in card(admin, DEFAULT_ADDRESS).inner_text()
        screenshot(admin, "support-addresses-limit")
    finally:
        store.atomically(lambda uow: uow.put_send_window(original))
    admin.goto(admin_console.url + "/tickets")
    banner = admin.get_by_role("region", name="Support addresses that need attention")
    assert banner.count() == 0 or "sending limit" not in banner.inner_text()


def test_domain_dns_guidance_with_check_now(admin: Any, admin_console: AdminConsole) -> None:
    assert admin_console.dns is not None
    admin.goto(admin_console.url + "/addresses")
    admin.get_by_role("button", name=f"Turn off sending via Gmail for {DEFAULT_ADDRESS}").click()
    try:
        guidance = card(admin, DEFAULT_ADDRESS).locator("details.guidance-summary")
        assert all(p in guidance.inner_text() for p in ("SPF", "Verification", "DKIM", "DMARC"))
        admin.get_by_role("link", name="Check the DNS of example.com now").click()
        rows = admin.locator("tbody tr")
        assert [r.locator(".verdict").inner_text().lower() for r in rows.all()] == ["missing"] * 4
        verification = rows.nth(1).locator("code").nth(1).inner_text()
        admin_console.dns.records.update({
            "example.com": ["v=spf1 include:_spf.google.com ~all"],  # the relay's include is missing
            "_gmail-tickets.example.com": [verification],
            "gt1._domainkey.example.com": ["v=DKIM1; k=rsa; p=MIIBIjANBg"],
        })
        admin.get_by_role("link", name="Check now").click()
        verdicts = [r.locator(".verdict").inner_text().lower() for r in admin.locator("tbody tr").all()]
        assert verdicts == ["wrong", "found", "found", "missing"]
        assert "the domain is verified" in admin.locator("tbody").inner_text()
        screenshot(admin, "dns-check")
    finally:
        admin.goto(admin_console.url + "/addresses")
        admin.get_by_role("button", name=f"Turn on sending via Gmail for {DEFAULT_ADDRESS}").click()


def test_gmail_com_gets_the_truth_instead_of_records(admin: Any, admin_console: AdminConsole) -> None:
    address = "helpdesk.acme@gmail.com"
    connect(admin, admin_console, address, import_recent=False)
    assert wait_for_import(admin_console.deps, address)
    admin.get_by_role("button", name=f"Turn off sending via Gmail for {address}").click()
    text = card(admin, address).locator("details.guidance-summary").inner_text()
    assert "No DNS can be published for gmail.com" in text and "fails gmail.com's DMARC" in text
    assert "keep Gmail sending on" in text and "v=spf1" not in text
    card(admin, address).get_by_text("What is this limit?").click()
    assert "500 recipients in any rolling 24 hours" in card(admin, address).inner_text()


def test_delete_is_disabled_while_connected_then_says_what_is_kept(admin: Any, admin_console: AdminConsole) -> None:
    address = "bye@example.com"
    connect(admin, admin_console, address, import_recent=False)
    assert wait_for_import(admin_console.deps, address)
    assert card(admin, address).get_by_role("button", name=f"Delete {address}").is_disabled()
    assert f"Disconnect {address} first" in card(admin, address).inner_text()
    admin.get_by_role("link", name=f"Disconnect {address}…").click()
    admin.get_by_role("button", name=f"Disconnect {address}").click()
    admin.get_by_role("link", name=f"Delete {address}…").click()
    text = admin.locator("main").inner_text()
    assert "Kept: its tickets" in text and "Removed: the support address" in text
    admin.get_by_role("button", name=f"Delete {address}").click()
    admin.wait_for_url(admin_console.url + "/addresses")
    assert flash(admin) == f"Deleted {address}. Its tickets are kept."
    assert card(admin, address).count() == 0


def test_make_default_moves_the_badge(admin: Any, admin_console: AdminConsole) -> None:
    address = "second@example.com"
    connect(admin, admin_console, address, import_recent=False)
    assert wait_for_import(admin_console.deps, address)
    admin.get_by_role("button", name=f"Make {address} the default").click()
    assert flash(admin) == f"{address} is now the default address."
    assert card(admin, address).get_by_text("Default", exact=True).is_visible()
    admin.get_by_role("button", name=f"Make {DEFAULT_ADDRESS} the default").click()
    defaults = [a.address for a in admin_console.stack.store.list_support_addresses() if a.is_default]
    assert defaults == [DEFAULT_ADDRESS]


def test_cancel_on_googles_page_connects_nothing(admin: Any, admin_console: AdminConsole) -> None:
    admin.goto(admin_console.url + "/addresses/connect")
    admin.get_by_label("Gmail or Google Workspace address").fill("spare@example.com")
    admin.get_by_role("button", name="Continue to Google").click()
    admin.get_by_role("button", name="Cancel").click()
    admin.wait_for_url(admin_console.url + "/addresses")
    assert "Google did not grant access (access_denied)" in admin.get_by_role("alert").inner_text()
    assert admin_console.stack.store.get_connection("spare@example.com") is None
