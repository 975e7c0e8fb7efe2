"""A team's whole day in a real browser, on its own stack (simulator, SQLite, push, a real SMTP relay): the first
admin through the setup link, an agent invited and signed in, the admin turning the solved mail on (the Brands
page's triggers), assigning the ticket to the agent (who gets the assignment at the relay), the agent replying as
pending, the customer answering by mail (the ticket reopens and the assignee is mailed at the relay), solving (the
requester is mailed through Gmail), the sweep closing it days later, and a customer mail on the closed ticket
opening a follow-up. Then two different agents on one ticket: the second is told "Changed by Ana meanwhile"."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from gmail_tickets.domain.model import Brand
from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.services.sweep import sweep
from tests.e2e.test_console_people import _fill_account, _sign_in
from tests.e2e.test_console_ticket_lifecycle import LaterClock, _mail, _ticket
from tests.fixtures.browser import Console, deliver_all, running_console, screenshot, wait_for

ADMIN, ANA, BO = "amy@acme.example", "ana@acme.example", "bo@acme.example"
SOLVED = "Notify requester of solved request"
ASSIGNED = "Notify assignee of assignment"


@dataclasses.dataclass
class Team:
    console: Console
    setup_url: str
    pages: dict[str, Any] = dataclasses.field(default_factory=dict)


@pytest.fixture(scope="module")
def team() -> Iterator[Team]:
    """A stack of its own, its default brand named, and the setup link a freshly served console prints."""
    with running_console() as running:
        running.deps.store.save_brand(Brand("default", "Acme Support"))
        running.deps.brands.forget()
        served = running.stack.serve_console()
        try:
            assert served.setup_url is not None
            yield Team(Console(served.url, running.secret, running.stack, running.deps), served.setup_url)
        finally:
            served.stop()


def _relay_mails(console: Console, to: str) -> list[EmailMessage]:
    relay = console.stack.relay
    assert relay is not None
    return [message_from_bytes(d.content, policy=policy.default)  # type: ignore[misc]
            for d in relay.deliveries() if to in d.rcpt_tos]


def _relay_mail(console: Console, to: str, containing: str) -> EmailMessage:
    """The one mail the relay took for `to` whose text has `containing` (waited for: the outbox sends it after
    the commit)."""
    mails = wait_for(lambda: [m for m in _relay_mails(console, to) if containing in _text(m)],
                     what=f"mail to {to} at the relay")
    assert len(mails) == 1, [_text(m) for m in mails]
    return mails[0]


def _text(mail: EmailMessage) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def _invite(team: Team, email: str, name: str) -> Any:
    """The admin invites `email`; they accept in a browser of their own and are signed in there."""
    admin = team.pages["admin"]
    admin.goto(team.console.url + "/agents")
    admin.get_by_label("Their email").fill(email)
    admin.get_by_role("button", name="Invite").click()
    link = admin.get_by_label("Send this link to the person you invited").input_value()
    page = admin.context.browser.new_context().new_page()
    page.goto(link)
    _fill_account(page, name)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(team.console.url + "/tickets")
    team.pages[email] = page
    return page


def _reply(page: Any, text: str, submit_as: str) -> None:
    page.get_by_label("Public reply").check()
    page.get_by_label("Your reply").fill(text)
    page.get_by_label("Submit as").select_option(submit_as)
    page.get_by_role("button", name="Submit").click()


def test_assign_reply_reopen_notify_solve_close_and_follow_up(browser: Any, team: Team) -> None:
    console = team.console
    admin = team.pages["admin"] = browser.new_context().new_page()
    admin.goto(team.setup_url)
    _fill_account(admin, "Amy Admin", email=ADMIN)
    admin.get_by_role("button", name="Create the admin account").click()
    admin.wait_for_url(console.url + "/tickets")
    ana = _invite(team, ANA, "Ana")
    ana.get_by_role("button", name="Sign out").click()
    _sign_in(ana, console.url, ANA)  # with the password she chose

    admin.goto(console.url + "/brands")
    assigned_form = admin.locator("form.trigger", has_text=ASSIGNED).first  # a text that cannot render: refused
    assigned_form.get_by_label(f"Template: {ASSIGNED} (Acme Support)").fill("{{ agent.__class__ }} {{ unclosed")
    with admin.expect_response(f"{console.url}/brands/default/triggers/assignee-assigned") as info:
        assigned_form.get_by_role("button", name=f"Save: {ASSIGNED} (Acme Support)").click()
    assert info.value.status == 400 and "Not saved: The template does not render" in admin.get_by_role(
        "alert").first.inner_text()
    assert admin.get_by_label(f"Template: {ASSIGNED} (Acme Support)").input_value() == (
        "{{ agent.__class__ }} {{ unclosed")  # the draft kept
    admin.goto(console.url + "/brands")  # the solved mail is off by default: the admin turns it on
    solved = admin.locator("form.trigger", has_text=SOLVED).first
    assert solved.locator(".badge").inner_text() == "off"
    solved.get_by_label(f"On: {SOLVED} (Acme Support)").check()
    solved.get_by_label(f"Template: {SOLVED} (Acme Support)").fill(
        "Hello {{ requester_name }}, {{ agent }} solved #{{ ticket_id }}. Reply to reopen it.")
    solved.get_by_role("button", name=f"Save: {SOLVED} (Acme Support)").click()
    assert admin.get_by_role("status").inner_text() == f"Saved “{SOLVED}” for Acme Support: on."
    solved = admin.locator("form.trigger", has_text=SOLVED).first
    assert solved.locator(".badge").inner_text() == "on"
    assert "Hello Ann, Ana solved #123." in solved.get_by_label(f"Preview: {SOLVED} (Acme Support)").inner_text()
    admin.locator("form.trigger").first.scroll_into_view_if_needed()
    screenshot(admin, "brands-triggers")

    first = _mail("Scanner jams on page two")
    deliver_all(console.stack, [first])
    ticket = _ticket(console, "Scanner jams on page two")
    url = f"{console.url}/tickets/{ticket.id}"
    admin.goto(url)
    admin.get_by_label("Assignee").fill(ANA)
    admin.get_by_role("button", name="Update ticket").click()
    admin.wait_for_url(url)
    assigned = _relay_mail(console, ANA, "Amy Admin assigned ticket")
    assert assigned["Subject"] == f"[#{ticket.id}] Scanner jams on page two"
    assert assigned["From"].addresses[0].addr_spec == "support@example.com"

    ana.goto(url)
    assert ana.locator("#ticket-assignee").inner_text() == ANA
    _reply(ana, "Which model is it?", "pending")
    ana.wait_for_url(url)
    assert ana.locator("#ticket-status").inner_text().lower() == "pending"

    deliver_all(console.stack, [_mail("", answering=first, body="It is the X200.")])  # the customer answers
    told = _relay_mail(console, ANA, "It is the X200.")
    assert "Dana answered ticket" in _text(told) and told["Subject"] == f"[#{ticket.id}] Scanner jams on page two"
    ana.reload()
    assert ana.locator("#ticket-status").inner_text().lower() == "open"

    _reply(ana, "Please update to firmware 2.1.", "solved")
    ana.wait_for_url(url)
    assert ana.locator("#ticket-status").inner_text().lower() == "solved"
    sim, support = console.stack.sim, console.stack.mailboxes[0]
    solved_mail = wait_for(lambda: [m for m in sim.messages(support, "in:sent")
                                    if "solved #" in sim.raw_message(support, m["id"]).decode(errors="replace")],
                           what="the solved mail in SENT")
    assert len(solved_mail) == 1  # the requester's: through Gmail, on the ticket's thread

    later = dataclasses.replace(console.deps, clock=LaterClock(days=4.01))  # the sweep, four days on
    assert ticket.id in sweep(later).tickets_closed
    ana.reload()
    assert ana.locator("#ticket-status").inner_text().lower() == "closed"
    deliver_all(console.stack, [_mail("", answering=first, body="It jams again.")])
    follow_up = wait_for(lambda: next((t for t in console.stack.store.list_tickets(limit=50)
                                       if t.follow_up_of == ticket.id), None), what="follow-up ticket")
    admin.goto(console.url + "/audit")
    assert "Changed a brand's trigger" in admin.get_by_role("table", name="Audit log").inner_text()
    ana.goto(f"{console.url}/tickets/{follow_up.id}")
    ana.get_by_role("link", name=f"#{ticket.id}", exact=True).click()
    ana.wait_for_url(url)
    assert console.stack.store.get_ticket(ticket.id or 0).status == TicketStatus.CLOSED  # type: ignore[union-attr]


def test_two_different_agents_on_one_ticket(browser: Any, team: Team) -> None:
    console = team.console
    wait_for(lambda: "admin" in team.pages and ANA in team.pages, what="the team set up by the test above")
    bo = _invite(team, BO, "Bo")
    ana = team.pages[ANA]
    deliver_all(console.stack, [_mail("Two agents, one ticket")])
    ticket = _ticket(console, "Two agents, one ticket")
    url = f"{console.url}/tickets/{ticket.id}"
    for page in (ana, bo):
        page.goto(url)

    ana.get_by_label("Priority").select_option("urgent")
    ana.get_by_label("Assignee").fill(BO)  # Ana gives it to Bo: Bo is told at the relay
    ana.get_by_role("button", name="Update ticket").click()
    ana.wait_for_url(url)
    assert _relay_mail(console, BO, "Ana assigned ticket")["Subject"] == f"[#{ticket.id}] Two agents, one ticket"

    bo.get_by_label("Tags").fill("printer")  # Bo's page still shows the ticket as it was
    with bo.expect_response(f"{url}/fields") as info:
        bo.get_by_role("button", name="Update ticket").click()
    assert info.value.status == 409
    assert "Changed by Ana meanwhile" in bo.get_by_role("alert").first.inner_text()
    bo.wait_for_load_state()  # all_inner_texts does not wait: the whole page first
    changes = " ".join(bo.locator("#conflict li").all_inner_texts())
    assert "Priority: normal → urgent" in changes and f"Assignee: none → {BO}" in changes
    screenshot(bo, "ticket-conflict-agents")
    bo.get_by_role("button", name="Update ticket").click()  # reviewed: submit again
    bo.wait_for_url(url)
    stored = console.stack.store.get_ticket(ticket.id or 0)
    assert stored is not None and (stored.tags, stored.priority, stored.assignee) == (["printer"], "urgent", BO)
    for page in team.pages.values():
        page.context.close()
