"""What the console says about who sent a mail, in a real browser: Google's verdict beside each customer comment,
where the mail asked replies to go, and the links between a ticket and a stranger's ticket that mentions it."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from devstack.gmail_sim import Verdicts
from gmail_tickets.domain.ticket_token import subject_token
from tests.fixtures.browser import Console, running_console, sign_in, wait_for

VERIFIED = Verdicts(spf="pass", dkim=(("pass", None),), dmarc="pass")


def _mail(subject: str, sender: str, to: str, **fields: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    for name, value in fields.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("Hello.")
    return msg.as_bytes()


def _arrive(console: Console, raw: bytes, auth: Verdicts | None = None) -> int:
    stack = console.stack
    address = stack.mailboxes[0]
    gmail_id = stack.sim.deliver(address, raw, auth=auth)
    wait_for(lambda: stack.store.ledger_contains(address, [gmail_id]), what="mail ingested")
    entry = stack.store.atomically(lambda uow: uow.get_ledger(address, gmail_id))
    assert entry is not None and entry.ticket_id is not None
    return entry.ticket_id


def test_verdicts_reply_to_and_mentions_are_shown(page: Any) -> None:
    with running_console() as console:
        support = console.stack.mailboxes[0]
        mine = _arrive(console, _mail("Refund", "Cara <cara@customer.example>", support), VERIFIED)
        _arrive(console, _mail(f"Re: Refund {subject_token(mine)}", "cara@customer.example", support,
                               Reply_To="billing@customer.example"))  # no stamp: not verified
        theirs = _arrive(console, _mail(f"Re: Refund {subject_token(mine)}", "Cara <mallory@evil.example>", support,
                                        Reply_To="cara@customer.example"), VERIFIED)
        assert theirs != mine
        sign_in(page, console.url, console.secret)

        page.goto(f"{console.url}/tickets/{mine}")
        first, second = page.locator("li.comment").nth(0), page.locator("li.comment").nth(1)
        assert first.locator(".sender-trust").inner_text() == "verified sender"
        assert second.locator(".sender-trust").inner_text() == "not verified replies go to billing@customer.example"
        page.get_by_role("link", name=f"#{theirs} mentions #{mine}").click()

        page.wait_for_url(f"{console.url}/tickets/{theirs}")
        assert "mallory@evil.example" in page.locator("dl.facts").inner_text()
        trust = page.locator("li.comment .sender-trust").first.inner_text()
        assert trust == "verified sender replies go to cara@customer.example"
        page.get_by_role("link", name=f"mentions #{mine}").click()
        page.wait_for_url(f"{console.url}/tickets/{mine}")

        page.goto(f"{console.url}/tickets")
        [row] = page.locator("tbody tr").filter(has=page.get_by_role("link", name=f"mentions #{mine}")).all()
        assert row.locator("td").first.inner_text() == str(theirs)
