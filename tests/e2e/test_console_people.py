"""People in a real browser, on their own stack: the first admin made through the setup link `serve` prints, an
agent invited and signing in, refused on every admin page, and their reply shown under their name and mailed (the
simulator's SENT folder) as "Name (Brand)" from the support address, with their signature."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest

from devstack.demo import mail_files
from gmail_tickets.domain.model import Brand
from gmail_tickets.web import ConsoleDeps, create_app
from gmail_tickets.web.access import AGENT_ENDPOINTS
from gmail_tickets.web.auth import PUBLIC_ENDPOINTS, SecretAuth
from tests.fixtures.browser import Console, deliver_all, running_console, screenshot, wait_for

ADMIN, AGENT = "amy@acme.example", "ana@acme.example"
PASSWORD = "correct horse battery"
SIGNATURE = "Ana Lima\nAcme Support · +1 555 0100"


@pytest.fixture(scope="module")
def people_console() -> Iterator[tuple[Console, str]]:
    """A stack of its own (the shared console keeps signing in with the admin secret), its default brand named,
    and the setup link as `serve` prints it."""
    with running_console() as running:
        running.deps.store.save_brand(Brand("default", "Acme Support"))
        running.deps.brands.forget()
        deliver_all(running.stack, [path.read_bytes() for path in mail_files(None)])
        served = running.stack.serve_console()  # a second console on the same stack: its banner has the link
        try:
            lines = served.banner("(kept)")
            assert lines[0].startswith(f"console: {served.url}  — sign in with the admin secret")
            setup = re.search(r"setup: (\S+)", lines[1])
            assert setup is not None and served.setup_url == setup.group(1)
            yield Console(served.url, running.secret, running.stack, running.deps), setup.group(1)
        finally:
            served.stop()


def _fill_account(page: Any, name: str, *, email: str | None = None) -> None:
    if email is not None:
        page.get_by_label("Email").fill(email)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)


def _sign_in(page: Any, url: str, email: str) -> None:
    page.goto(url + "/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(url + "/tickets")


def _admin_get_paths(console: Console) -> list[str]:
    """Every GET page an agent may not open, from the app's own url_map (a page added later is covered)."""
    app = create_app(ConsoleDeps(console.deps, admin_auth=SecretAuth("unused"), secret_key="test"))
    with app.test_request_context():
        return [app.url_for(rule.endpoint, **{name: "support@example.com" for name in rule.arguments})
                for rule in app.url_map.iter_rules()
                if "GET" in (rule.methods or set()) and rule.endpoint not in AGENT_ENDPOINTS | PUBLIC_ENDPOINTS]


def test_setup_invite_sign_in_refusal_and_a_named_reply(browser: Any, people_console: tuple[Console, str]) -> None:
    console, setup_url = people_console
    admin = browser.new_context().new_page()
    admin.goto(setup_url)
    _fill_account(admin, "Amy Admin", email=ADMIN)
    screenshot(admin, "setup")
    admin.get_by_role("button", name="Create the admin account").click()
    admin.wait_for_url(console.url + "/tickets")
    assert "Signed in as Amy Admin" in admin.locator("header").inner_text()

    admin.get_by_role("link", name="Agents").click()
    admin.get_by_label("Their email").fill(AGENT)
    admin.get_by_role("button", name="Invite").click()
    link = admin.get_by_label("Send this link to the person you invited").input_value()
    assert "/invite/" in link
    screenshot(admin, "agents")

    agent = browser.new_context().new_page()
    agent.goto(link)
    assert agent.get_by_role("heading", name="Accept your invitation").is_visible()
    _fill_account(agent, "Ana")
    screenshot(agent, "accept-invite")
    agent.get_by_role("button", name="Create my account").click()
    agent.wait_for_url(console.url + "/tickets")
    agent.get_by_role("button", name="Sign out").click()
    _sign_in(agent, console.url, AGENT)  # and with the password they chose
    assert agent.get_by_role("link", name="Agents").count() == 0  # admin pages are not offered ...

    paths = _admin_get_paths(console)
    assert {"/addresses", "/brands", "/agents", "/audit"} <= set(paths)
    for path in paths:  # ... nor served
        response = agent.goto(console.url + path)
        assert response is not None and response.status == 403, path
        assert agent.get_by_role("heading", name="Admins only").is_visible(), path

    agent.get_by_role("link", name="Ana").click()
    agent.get_by_label("Signature").fill(SIGNATURE)
    agent.get_by_role("button", name="Save profile").click()
    assert agent.get_by_role("status").inner_text() == "Profile saved."
    screenshot(agent, "profile")

    ticket = next(t for t in console.deps.store.list_tickets(limit=50) if t.requester)
    agent.goto(f"{console.url}/tickets/{ticket.id}")
    agent.get_by_label("Your reply").fill("Thanks, we are on it.")
    agent.get_by_role("button", name="Submit").click()
    agent.wait_for_url(f"{console.url}/tickets/{ticket.id}")
    last = agent.locator("li.comment").last
    assert last.get_by_role("heading", name=f"Agent reply by Ana ({AGENT})").is_visible()
    stored = console.deps.store.comments(int(ticket.id or 0))[-1]
    assert (stored.author, stored.author_email, stored.body_text) == ("Ana", AGENT, "Thanks, we are on it.")

    sim, support = console.stack.sim, console.stack.mailboxes[0]
    found = wait_for(lambda: sim.messages(support, f"rfc822msgid:{stored.message_id}"), what="reply in SENT")
    mail = message_from_bytes(sim.raw_message(support, found[0]["id"]), policy=policy.default)
    assert mail["From"].addresses[0].display_name == "Ana (Acme Support)"
    assert mail["From"].addresses[0].addr_spec == support
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert text.replace("\r\n", "\n").rstrip("\n").endswith(f"Thanks, we are on it.\n\n{SIGNATURE}")

    admin.goto(console.url + "/audit")
    rows = admin.get_by_role("table", name="Audit log").inner_text()
    assert "Invited an agent" in rows and "Set up the first admin" in rows and ADMIN in rows
    screenshot(admin, "audit-log")
    admin.context.close()
    agent.context.close()


def test_the_admin_secret_stops_once_the_first_admin_exists(page: Any, people_console: tuple[Console, str]) -> None:
    console, _ = people_console
    wait_for(lambda: console.deps.store.list_agents(), what="the first admin")  # made by the test above
    page.goto(console.url + "/sign-in")
    assert page.get_by_label("Admin secret").count() == 0
    response = page.request.post(console.url + "/sign-in", form={"secret": console.secret}, max_redirects=0)
    assert response.status in (400, 401)  # no form to post it to, and refused when posted anyway
    screenshot(page, "sign-in")
