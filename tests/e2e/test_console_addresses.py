"""Support addresses in a real browser, as a newcomer following Zendesk's guide to its Gmail connector meets them:
the connect page that says what each import choice does, the label, the access asked and Google's Limited Use
disclosure; Google's consent page (the simulator's); live import progress; refusals that name the account chosen;
the limit banner on another page with the time Gmail takes mail again; DNS guidance by address kind with "check
now" against a DNS responder on 127.0.0.1; actions that cannot apply disabled with their reason; disconnect and
delete behind a page that says what they do; reconnect with a brand change.

The whole walk runs twice, in English and in German (the guide it follows is German): the German run picks German
with the language switch in the header and expects the German the catalog gives for each text (`Words`), so the
same steps succeed and every page, flash and refusal on the way must say them in German. The German run is marked
slow: it repeats a two-minute browser walk."""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from devstack.embedded_stack import DEFAULT_ADDRESS, EmbeddedStack
from gmail_tickets import bootstrap_web
from gmail_tickets.domain.model import Brand
from gmail_tickets.domain.outbox import SendWindow
from gmail_tickets.services.connect_import import wait_for_import
from gmail_tickets.services.sync_mailbox import sync_mailbox
from gmail_tickets.web.i18n import LANGUAGE_NAMES
from tests.fixtures.browser import Console, follow, screenshot, sign_in, wait_for
from tests.fixtures.dns_server import TxtResponder, txt_responder
from tests.fixtures.words import Words

SPARE = ("sales@example.com", "billing@example.com", "wrong@example.com", "spare@example.com",
         "gap@example.com", "revoked@example.com", "bye@example.com", "second@example.com", "bulk@example.com",
         "helpdesk.acme@gmail.com")
LIMITED_USE = ("https://developers.google.com/terms/api-services-user-data-policy"
               "#additional_requirements_for_specific_api_scopes")
LANGUAGES = ["en", pytest.param("de", marks=pytest.mark.slow)]


def mail(n: int, to: str, subject: str = "Question", domain: str = "shop.example") -> bytes:
    return (f"From: Customer {n} <customer{n}@{domain}>\r\nTo: {to}\r\nSubject: {subject} {n}\r\n"
            f"Message-ID: <q{n}.{to}@{domain}>\r\n\r\nHello, question number {n}.\r\n").encode()


@dataclasses.dataclass
class AdminConsole(Console):
    dns: TxtResponder | None = None
    words: Words = dataclasses.field(default_factory=lambda: Words("en"))


@pytest.fixture(scope="module", params=LANGUAGES)
def admin_console(request: pytest.FixtureRequest) -> Iterator[AdminConsole]:
    """A stack whose simulator holds mailboxes that are not connected yet (support@ is, and is the default), a
    second brand, and the console's "check now" pointed at a DNS responder on 127.0.0.1 (GT_DNS_NAMESERVER); one
    per language, so each run walks the same steps from the start."""
    with txt_responder({}) as dns, tempfile.TemporaryDirectory(prefix="gt-console-") as state_dir, \
            EmbeddedStack(Path(state_dir), sweep_interval=3600) as stack:
        assert stack.deps is not None
        for address in SPARE:
            stack.sim.add_mailbox(address)
        stack.store.save_brand(Brand(id="acme-eu", name="Acme Europe"))
        served = bootstrap_web.serve_console(dataclasses.replace(stack.config, dns_nameserver=dns.nameserver),
                                         stack.deps)
        try:
            yield AdminConsole(served.url, served.admin_secret, stack, stack.deps, dns, Words(request.param))
        finally:
            served.stop()


@pytest.fixture
def admin(page: Any, admin_console: AdminConsole) -> Any:
    sign_in(page, admin_console.url, admin_console.secret)
    language = admin_console.words.language
    if language != "en":  # the language switch in the header, as an admin finds it
        page.get_by_role("button", name=LANGUAGE_NAMES[language], exact=True).click()
        page.wait_for_function(f"document.documentElement.lang === {language!r}")
    return page


@pytest.fixture
def w(admin_console: AdminConsole) -> Words:
    return admin_console.words


def shot(page: Any, console: AdminConsole, name: str) -> None:
    """The README's screenshots are the English run's."""
    if console.words.language == "en":
        screenshot(page, name)


def connect(page: Any, console: AdminConsole, address: str, *, choose: str | None = None,
            import_recent: bool = True, brand: str | None = None, shot_name: str | None = None) -> None:
    """Add address → Connect Gmail form → the consent page (click the account) → back to the list."""
    w = console.words
    page.goto(console.url + "/addresses")
    page.get_by_role("link", name=w("Add address")).click()
    page.get_by_label(w("Gmail or Google Workspace address")).fill(address)
    assert page.get_by_label(w("Create tickets from the last %(count)s emails", count=300)).is_checked()  # default
    if not import_recent:
        page.get_by_label(w("Only new mail")).check()
    if brand:
        page.get_by_label(w("Brand"), exact=True).select_option(label=brand)
    if shot_name:
        shot(page, console, shot_name)
    page.get_by_role("button", name=w("Continue to Google")).click()
    page.get_by_role("heading", name="Choose an account").wait_for()  # Google's page (the simulator's): English
    page.get_by_role("button", name=choose or address).click()
    page.wait_for_url(console.url + "/addresses")


def limit_text(w: Words, who: str, limit: int) -> str:
    return w("Gmail lets %(who)s send to %(limit)s recipients in any rolling 24 hours (500 for gmail.com, 2,000 for "
             "Workspace). Each recipient of each mail counts (To, Cc and Bcc), mail people send from Gmail itself "
             "counts too, and a mail sent to 3 people counts 3. Past the limit, Gmail refuses for up to a day and "
             "the relay sends instead.", who=who, limit=w.number(limit))


def card(page: Any, address: str) -> Any:
    return page.locator("section.address", has_text=address)


def tickets_of(console: Console, address: str) -> list[Any]:
    return console.stack.store.list_tickets(limit=1000, connection=address)


def flash(page: Any) -> str:
    return page.locator(".flash").first.inner_text()


def test_the_connect_page_says_what_connecting_does(admin: Any, admin_console: AdminConsole, w: Words) -> None:
    response = admin.goto(admin_console.url + "/addresses/connect")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "connect-src 'self';" in csp and "unsafe" not in csp
    assert admin.locator("html").get_attribute("lang") == w.language
    text = admin.locator("main").inner_text()
    assert w("The newest %(count)s mails in the inbox, read or unread, become tickets. They are marked imported and "
             "send no acknowledgements: their senders wrote before the help desk existed.", count=300) in text
    assert w("Only unread inbox mail of the last hour becomes tickets now (each gets an acknowledgement, like any "
             "new mail). Older mail stays as it is in Gmail.") in text
    assert w("Either way, every mail that arrives from now on becomes a ticket, and each mail that became one gets "
             "the label <strong>%(label)s</strong> in Gmail.", label="Helpdesk") in text
    assert "https://www.googleapis.com/auth/gmail.modify" in text
    assert w("A narrower permission does not do the job: read-only access cannot label or send, and send-only "
             "access cannot read. <code>gmail.modify</code> does not allow deleting mail for good.") in text
    disclosure = ("gmail-tickets' use and transfer to any other app of information received from Google APIs will "
                  "adhere to the <a href=\"%(url)s\" rel=\"noopener\">Google API Services User Data Policy</a>, "
                  "including the Limited Use requirements. Mail is kept only in this help desk's own storage and is "
                  "not used for anything but its tickets.")
    assert w(disclosure, url=LIMITED_USE) in text
    link_text = re.search(r"<a [^>]*>(.*?)</a>", w.raw(disclosure)).group(1)  # type: ignore[union-attr]
    assert admin.get_by_role("link", name=link_text).get_attribute("href") == LIMITED_USE
    assert w("Pick the right Google account") in text
    if w.language == "de":  # the catalog's German is German, not English passed through
        assert "Limited Use" in text and "Das richtige Google-Konto wählen" in text


def test_connect_with_the_300_import_shows_live_progress(admin: Any, admin_console: AdminConsole, w: Words) -> None:
    address, sim = "bulk@example.com", admin_console.stack.sim
    # senders of many domains: 120 from one would look like a burst to the live mail that follows in other tests
    ids = [admin_console.stack.deliver(mail(n, address, domain=f"old{n}.example"), address) for n in range(120)]
    sim.mark_read(address, ids[0])  # read mail is imported too
    sim.set_latency(per_method={"batch": 1200})  # each chunk of 50 takes a while: the bar must move on its own
    try:
        connect(admin, admin_console, address, shot_name="connect-form")
        assert flash(admin) == w("Connected %(address)s. Importing %(count)s mails now: the progress shows below.",
                                 address=address, count=120)
        count = card(admin, address).locator(".import-count")
        seen = {count.inner_text()}
        if seen == {w("%(done)s of %(total)s mails", done=0, total=120)}:  # one count while importing
            assert w("Mail recorded") not in card(admin, address).inner_text()  # not the ledger's total beside it
        finished = w("done: %(done)s of %(total)s mails", done=120, total=120)
        wait_for(lambda: seen.add(count.inner_text()) or finished in seen, timeout=60,
                 what="the progress to finish without a reload")
    finally:
        sim.set_latency(per_method={"batch": 0})
    moving = tuple(w("%(done)s of %(total)s mails", done=n, total=120) for n in (50, 100))
    assert any(s.startswith(moving) for s in seen), seen  # it moved through the chunks
    assert card(admin, address).locator("progress").get_attribute("value") == "120"
    shot(admin, admin_console, "support-addresses")
    assert wait_for_import(admin_console.deps, address)
    assert len(tickets_of(admin_console, address)) == 120


def test_connect_only_new_mail_with_a_brand(admin: Any, admin_console: AdminConsole, w: Words) -> None:
    ids = [admin_console.stack.deliver(mail(n, "billing@example.com"), "billing@example.com") for n in range(2)]
    admin_console.stack.sim.mark_read("billing@example.com", ids[0])  # read: not new mail, left alone
    connect(admin, admin_console, "billing@example.com", import_recent=False, brand="Acme Europe")
    importing = w.around("Connected %(address)s. Importing %(count)s mails now: the progress shows below.", "count",
                         address="billing@example.com")[0]
    assert flash(admin).startswith(importing) or flash(admin) == w(
        "Connected %(address)s. There was no mail to import.", address="billing@example.com")
    assert wait_for_import(admin_console.deps, "billing@example.com")
    assert len(tickets_of(admin_console, "billing@example.com")) == 1
    assert admin_console.stack.store.get_connection("billing@example.com").brand_id == "acme-eu"


def test_the_wrong_account_is_refused_saying_which_was_chosen(admin: Any, admin_console: AdminConsole,
                                                              w: Words) -> None:
    connect(admin, admin_console, "wrong@example.com", choose="spare@example.com")
    message = admin.get_by_role("alert").inner_text()
    said = [w(msgid, chosen="spare@example.com", address="wrong@example.com") for msgid in (
        "Google signed in %(chosen)s, not %(address)s. The browser is probably signed into another Google account: "
        "on Google's page choose %(address)s (or sign out of the other account) and connect again. Nothing was "
        "connected, and the access Google gave for the other account was revoked.",
        "Google signed in %(chosen)s, not %(address)s. The browser is probably signed into another Google account: "
        "on Google's page choose %(address)s (or sign out of the other account) and connect again. Nothing was "
        "connected.",
        "Google signed in %(chosen)s, not %(address)s: on Google's page choose %(address)s (or sign out of the "
        "other account in the browser) and connect again.")]
    assert any(text in message for text in said), message  # names the account chosen and what to do
    assert admin_console.stack.store.get_connection("wrong@example.com") is None
    assert admin_console.stack.store.get_connection("spare@example.com") is None


def test_actions_that_cannot_apply_are_disabled_with_the_reason(admin: Any, admin_console: AdminConsole,
                                                                w: Words) -> None:
    admin.goto(admin_console.url + "/addresses")
    default = card(admin, DEFAULT_ADDRESS)
    button = default.get_by_role("button", name=w("Disconnect %(address)s", address=DEFAULT_ADDRESS))
    assert button.is_disabled()
    assert w("%(address)s is the default address (notifications go out from it): make another address the default "
             "first.", address=DEFAULT_ADDRESS) in default.inner_text()
    assert default.get_by_role("button", name=w("Delete %(address)s", address=DEFAULT_ADDRESS)).is_disabled()
    assert admin_console.stack.store.get_connection(DEFAULT_ADDRESS).status == "connected"


def test_disconnect_confirm_deliver_reconnect_with_a_new_brand(admin: Any, admin_console: AdminConsole,
                                                               w: Words) -> None:
    address = "gap@example.com"
    deliver_first = admin_console.stack.deliver(mail(1, address), address)
    connect(admin, admin_console, address)
    assert wait_for_import(admin_console.deps, address)
    wait_for(lambda: len(tickets_of(admin_console, address)) == 1, what="first mail imported")

    admin.get_by_role("link", name=w("Disconnect %(address)s…", address=address)).click()
    page_text = admin.locator("main").inner_text()
    assert w("its mail no longer becomes tickets or comments (mail keeps arriving in Gmail);") in page_text
    assert w("replies and notifications on its tickets go out through the mail relay instead of Gmail;") in page_text
    admin.get_by_role("button", name=w("Disconnect %(address)s", address=address)).click()
    assert flash(admin) == w("Disconnected %(address)s: its mail does not become tickets until you reconnect it; "
                             "replies on its tickets go out through the mail relay.", address=address)
    make_default = card(admin, address).get_by_role("button", name=w("Make %(address)s the default", address=address))
    assert make_default.is_disabled()
    assert w("%(address)s is disconnected: reconnect it first (the default sends notifications).",
             address=address) in card(admin, address).inner_text()
    banner = admin.get_by_role("region", name=w("Support addresses that need attention"))
    plain = w("an admin disconnected it in this console")
    assert w("<strong>%(address)s</strong> is disconnected: %(plain)s. No new tickets come from its mail until it is "
             "reconnected.", address=address, plain=plain) in banner.inner_text()

    gap = [admin_console.stack.deliver(mail(n, address, "While away"), address) for n in (2, 3)]
    admin.goto(admin_console.url + "/tickets")  # the banner is on every page, with the way back
    admin.get_by_role("link", name=w("Reconnect %(address)s", address=address)).click()
    assert admin.get_by_label(w("Brand"), exact=True).input_value() == "default"  # its brand, shown
    admin.get_by_label(w("Brand"), exact=True).select_option(label="Acme Europe")
    admin.get_by_role("button", name=w("Continue to Google")).click()
    admin.get_by_role("button", name=address).click()  # the consent page
    admin.wait_for_url(admin_console.url + "/addresses")
    assert flash(admin) == w("Reconnected %(address)s. Mail that came while it was disconnected is brought in now; "
                             "its tickets get the brand %(brand)s.", address=address, brand="Acme Europe")
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


def test_change_the_brand_at_any_time(admin: Any, admin_console: AdminConsole, w: Words) -> None:
    admin.goto(admin_console.url + "/addresses")
    brand_of = w("Brand of %(address)s", address=DEFAULT_ADDRESS)
    change = w("Change brand of %(address)s", address=DEFAULT_ADDRESS)
    card(admin, DEFAULT_ADDRESS).get_by_label(brand_of).select_option(label="Acme Europe")
    card(admin, DEFAULT_ADDRESS).get_by_role("button", name=change).click()
    assert flash(admin) == w("New tickets from %(address)s get the brand %(brand)s; existing tickets keep theirs.",
                             address=DEFAULT_ADDRESS, brand="Acme Europe")
    store = admin_console.stack.store
    assert store.get_connection(DEFAULT_ADDRESS).brand_id == "acme-eu"
    entry = next(e for e in store.list_audit(limit=50) if e.action == "mailbox.brand")
    assert entry.target == DEFAULT_ADDRESS and entry.detail == "default → acme-eu"  # the log keeps its own words
    card(admin, DEFAULT_ADDRESS).get_by_label(brand_of).select_option(label="Default brand")
    card(admin, DEFAULT_ADDRESS).get_by_role("button", name=change).click()
    assert store.get_connection(DEFAULT_ADDRESS).brand_id == "default"


def test_revoked_token_is_explained_with_reconnect(admin: Any, admin_console: AdminConsole, w: Words) -> None:
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
    assert w("access was revoked in the Google account (or its sign-in expired)") in text
    assert "invalid_grant" not in text
    assert card(admin, address).get_by_role("link", name=w("Reconnect %(address)s", address=address)).is_visible()


def test_limit_reached_banner_on_another_page_with_the_time(admin: Any, admin_console: AdminConsole,
                                                            w: Words) -> None:
    store, now = admin_console.stack.store, admin_console.deps.clock.now()
    until = (now + timedelta(hours=5)).replace(second=0, microsecond=0)
    original = store.get_send_window(DEFAULT_ADDRESS)
    store.atomically(lambda uow: uow.put_send_window(SendWindow(DEFAULT_ADDRESS, blocked_until=until)))
    region = w("Support addresses that need attention")
    try:
        admin.goto(admin_console.url + "/tickets")
        banner = admin.get_by_role("region", name=region)
        text = banner.inner_text()
        reached, _ = w.around("<strong>%(address)s</strong> has reached Gmail's sending limit: Gmail takes its mail "
                              "again at %(until)s.", "until", address=DEFAULT_ADDRESS)
        assert reached in text  # the time: in the agent's timezone; UTC on hover:
        assert banner.locator("time").first.get_attribute("title").endswith(f"{until:%Y-%m-%d %H:%M} UTC")
        assert w("The relay sends its mail meanwhile; if this happens often, turn Gmail sending off for this address "
                 "so the relay sends all of it.") in text
        admin.goto(admin_console.url + "/addresses")
        facts = card(admin, DEFAULT_ADDRESS).locator("dl.facts").inner_text()
        assert w("limit reached") + " " + w("(Gmail's own count, which includes mail sent from Gmail itself, is "
                                            "higher)") in facts
        titles = card(admin, DEFAULT_ADDRESS).locator("dl.facts time").evaluate_all("ts => ts.map(t => t.title)")
        assert any(title.endswith(f"{until:%Y-%m-%d %H:%M} UTC") for title in titles), titles
        card(admin, DEFAULT_ADDRESS).get_by_text(w("What is this limit?")).click()
        workspace = limit_text(w, w("a Google Workspace account"), 2000)
        assert workspace in card(admin, DEFAULT_ADDRESS).inner_text()
        shot(admin, admin_console, "support-addresses-limit")
    finally:
        store.atomically(lambda uow: uow.put_send_window(original))
    admin.goto(admin_console.url + "/tickets")
    banner = admin.get_by_role("region", name=region)
    assert banner.count() == 0 or reached not in banner.inner_text()


def test_domain_dns_guidance_with_check_now(admin: Any, admin_console: AdminConsole, w: Words) -> None:
    assert admin_console.dns is not None
    admin.goto(admin_console.url + "/addresses")
    admin.get_by_role("button", name=w("Turn off sending via Gmail for %(address)s", address=DEFAULT_ADDRESS)).click()
    try:
        guidance = card(admin, DEFAULT_ADDRESS).locator("details.guidance-summary")
        assert all(p in guidance.inner_text() for p in ("SPF", w("Verification"), "DKIM", "DMARC"))
        assert w("DNS takes up to an hour to update; then use \"Check now\".") in guidance.inner_text()
        follow(admin, admin.get_by_role("link", name=w("Check the DNS of %(domain)s now", domain="example.com")))
        rows = admin.locator("tbody tr")
        verdict = ".verdict"  # shown in capitals (CSS): compared in lower case
        assert [r.locator(verdict).inner_text().lower() for r in rows.all()] == [w("missing").lower()] * 4
        verification = rows.nth(1).locator("code").nth(1).inner_text()
        admin_console.dns.records.update({
            "example.com": ["v=spf1 include:_spf.google.com ~all"],  # the relay's include is missing
            "_gmail-tickets.example.com": [verification],
            "gt1._domainkey.example.com": ["v=DKIM1; k=rsa; p=MIIBIjANBg"],
        })
        follow(admin, admin.get_by_role("link", name=w("Check now")))
        verdicts = [r.locator(verdict).inner_text().lower() for r in admin.locator("tbody tr").all()]
        assert verdicts == [w(v).lower() for v in ("wrong", "found", "found", "missing")]
        assert w("the domain is verified: the code matches") in admin.locator("tbody").inner_text()
        shot(admin, admin_console, "dns-check")
    finally:
        admin.goto(admin_console.url + "/addresses")
        admin.get_by_role("button", name=w("Turn on sending via Gmail for %(address)s",
                                           address=DEFAULT_ADDRESS)).click()


def test_gmail_com_gets_the_truth_instead_of_records(admin: Any, admin_console: AdminConsole, w: Words) -> None:
    address = "helpdesk.acme@gmail.com"
    connect(admin, admin_console, address, import_recent=False)
    assert wait_for_import(admin_console.deps, address)
    admin.get_by_role("button", name=w("Turn off sending via Gmail for %(address)s", address=address)).click()
    text = card(admin, address).locator("details.guidance-summary").inner_text()
    assert w("No DNS can be published for %(domain)s", domain="gmail.com") in text
    assert w("Mail the relay sends as a %(domain)s address fails %(domain)s's DMARC check: it lands in spam or "
             "bounces.", domain="gmail.com") in text
    assert w("So keep Gmail sending on for this address, or connect an address on a domain of your own for the relay "
             "to send from.") in text
    assert "v=spf1" not in text
    card(admin, address).get_by_text(w("What is this limit?")).click()
    assert limit_text(w, w("a gmail.com account"), 500) in card(admin, address).inner_text()


def test_delete_is_disabled_while_connected_then_says_what_is_kept(admin: Any, admin_console: AdminConsole,
                                                                   w: Words) -> None:
    address = "bye@example.com"
    connect(admin, admin_console, address, import_recent=False)
    assert wait_for_import(admin_console.deps, address)
    assert card(admin, address).get_by_role("button", name=w("Delete %(address)s", address=address)).is_disabled()
    assert w("Disconnect %(address)s first, so Google's access is revoked before it is deleted.",
             address=address) in card(admin, address).inner_text()
    admin.get_by_role("link", name=w("Disconnect %(address)s…", address=address)).click()
    admin.get_by_role("button", name=w("Disconnect %(address)s", address=address)).click()
    admin.get_by_role("link", name=w("Delete %(address)s…", address=address)).click()
    text = admin.locator("main").inner_text()
    assert w("<strong>Kept:</strong> its tickets, their conversations and notifications, and the mail in Gmail (with "
             "its labels).") in text
    assert w("<strong>Removed:</strong> the support address (mail sent to it no longer becomes tickets, nothing goes "
             "out from it), its connection record and any Google sign-in still stored for it.") in text
    admin.get_by_role("button", name=w("Delete %(address)s", address=address)).click()
    admin.wait_for_url(admin_console.url + "/addresses")
    assert flash(admin) == w("Deleted %(address)s. Its tickets are kept.", address=address)
    assert card(admin, address).count() == 0


def test_make_default_moves_the_badge(admin: Any, admin_console: AdminConsole, w: Words) -> None:
    address = "second@example.com"
    connect(admin, admin_console, address, import_recent=False)
    assert wait_for_import(admin_console.deps, address)
    follow(admin, admin.get_by_role("button", name=w("Make %(address)s the default", address=address)))
    assert flash(admin) == w("%(address)s is now the default address.", address=address)
    assert card(admin, address).get_by_text(w("Default"), exact=True).is_visible()
    admin.get_by_role("button", name=w("Make %(address)s the default", address=DEFAULT_ADDRESS)).click()
    defaults = [a.address for a in admin_console.stack.store.list_support_addresses() if a.is_default]
    assert defaults == [DEFAULT_ADDRESS]


def test_cancel_on_googles_page_connects_nothing(admin: Any, admin_console: AdminConsole, w: Words) -> None:
    admin.goto(admin_console.url + "/addresses/connect")
    admin.get_by_label(w("Gmail or Google Workspace address")).fill("spare@example.com")
    admin.get_by_role("button", name=w("Continue to Google")).click()
    admin.get_by_role("button", name="Cancel").click()  # Google's page (the simulator's)
    admin.wait_for_url(admin_console.url + "/addresses")
    assert w("Google did not grant access (%(error)s): nothing was connected. If you cancelled on purpose, nothing "
             "else is needed; otherwise connect again and allow the access asked for.",
             error="access_denied") in admin.get_by_role("alert").inner_text()
    assert admin_console.stack.store.get_connection("spare@example.com") is None
