"""Agent pages in a real browser, on the sample mailbox as the embedded stack imported it."""

from __future__ import annotations

from typing import Any

from gmail_tickets.domain.ticket_query import TicketSort, sort_key
from gmail_tickets.domain.triggers import Trigger
from gmail_tickets.services.trigger_templates import save_trigger
from tests.fixtures.browser import Console, follow, screenshot


def _ticket_id(console: Console, subject: str) -> int:
    ticket = next(t for t in console.stack.store.list_tickets(limit=200) if t.subject == subject)
    assert ticket.id is not None
    return ticket.id


def test_tickets_list_shows_the_sample_mailbox_last_updated_first(signed_in: Any, console: Console) -> None:
    signed_in.goto(console.url + "/tickets")
    rows = signed_in.locator("tbody tr")
    stored = console.stack.store.list_tickets(limit=200)
    assert rows.count() == len(stored) >= 7
    ids = [int(rows.nth(i).locator("td").nth(0).inner_text()) for i in range(rows.count())]
    by_update = sorted(stored, key=lambda t: sort_key(t, TicketSort.UPDATED), reverse=True)
    assert ids == [t.id for t in by_update]
    signed_in.locator("#sort").select_option("created")
    follow(signed_in, signed_in.get_by_role("button", name="Apply"))
    ids = [int(rows.nth(i).locator("td").nth(0).inner_text()) for i in range(rows.count())]
    assert ids == sorted(ids, reverse=True) == [t.id for t in stored]
    signed_in.goto(console.url + "/tickets")
    assert signed_in.get_by_role("link", name="Invoice 2026-114 shows the wrong VAT").is_visible()
    assert signed_in.get_by_role("cell", name="grace@design.example").count() >= 1
    screenshot(signed_in, "tickets-list")


def test_ticket_shows_comments_sanitized_html_and_inline_image(signed_in: Any, console: Console) -> None:
    ticket_id = _ticket_id(console, "The logo on our invoices is cut off")
    signed_in.goto(console.url + "/tickets")
    signed_in.get_by_role("link", name="The logo on our invoices is cut off").click()
    signed_in.wait_for_url(f"{console.url}/tickets/{ticket_id}")
    body = signed_in.locator(".mail-html").first
    assert "see how the logo is cut off" in body.inner_text()
    assert signed_in.locator(".mail-html script, .mail-html [onclick], .mail-html [onmouseover]").count() == 0
    image = signed_in.get_by_role("img", name="cropped logo")
    src = image.get_attribute("src") or ""
    assert src.startswith(f"/tickets/{ticket_id}/attachments/")
    assert signed_in.evaluate("img => img.complete && img.naturalWidth", image.element_handle()) == 1
    screenshot(signed_in, "ticket-view")


def test_threaded_reply_is_a_second_comment(signed_in: Any, console: Console) -> None:
    ticket = next(t for t in console.stack.store.list_tickets(limit=200)
                  if len(console.stack.store.comments(t.id or 0)) > 1)
    signed_in.goto(f"{console.url}/tickets/{ticket.id}")
    assert signed_in.locator("li.comment").count() == len(console.stack.store.comments(ticket.id or 0))
    assert "threaded by" in signed_in.locator("li.comment").nth(1).inner_text()


def test_hostile_html_runs_no_script(signed_in: Any, console: Console) -> None:
    ticket_id = _ticket_id(console, "Hostile HTML")
    signed_in.goto(f"{console.url}/tickets/{ticket_id}")
    signed_in.locator(".mail-html p", has_text="Plain words survive.").hover()
    signed_in.wait_for_timeout(200)  # give an onerror / onload the chance it must not get
    assert signed_in.evaluate("() => window.__pwned === undefined")
    assert signed_in.locator(".mail-html iframe, .mail-html svg, .mail-html [href^='javascript']").count() == 0


def test_attachment_is_listed_and_downloads(signed_in: Any, console: Console) -> None:
    ticket_id = _ticket_id(console, "Export fails with error 500 (screenshot attached)")
    signed_in.goto(f"{console.url}/tickets/{ticket_id}")
    link = signed_in.get_by_role("link", name="error.png")
    assert "image/png" in signed_in.locator("ul.files li").first.inner_text()
    with signed_in.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "error.png"
    with open(download.path(), "rb") as f:
        assert f.read().startswith(b"\x89PNG")


def test_attachment_route_refuses_another_tickets_file(signed_in: Any, console: Console) -> None:
    with_file = _ticket_id(console, "Export fails with error 500 (screenshot attached)")
    other = _ticket_id(console, "Invoice 2026-114 shows the wrong VAT")
    key = next(a.blob_key for c in console.stack.store.comments(with_file) for a in c.attachments)
    ok = signed_in.request.get(f"{console.url}/tickets/{with_file}/attachments/{key}")
    assert ok.status == 200 and ok.headers["content-disposition"].startswith("attachment")
    assert signed_in.request.get(f"{console.url}/tickets/{other}/attachments/{key}").status == 404
    assert signed_in.request.get(f"{console.url}/tickets/{with_file}/attachments/raw/x.eml").status == 404


def test_suspended_list_shows_the_auto_reply(signed_in: Any, console: Console) -> None:
    signed_in.goto(console.url + "/suspended")
    row = signed_in.locator("tbody tr", has_text="frank@partner.example")
    assert row.count() == 1
    assert "Automatic reply: Your request has been received" in row.inner_text()


def test_quarantine_page_renders(signed_in: Any, console: Console) -> None:
    signed_in.goto(console.url + "/quarantine")
    assert signed_in.get_by_role("heading", name="Quarantine").is_visible()


def _conversation_ticket(console: Console) -> int:
    """A ticket that already has a threaded second comment, so replies here leave the other tests' picks alone."""
    ticket = next(t for t in console.stack.store.list_tickets(limit=200)
                  if len(console.stack.store.comments(t.id or 0)) > 1)
    assert ticket.id is not None
    return ticket.id


def test_agent_reply_is_added_and_shown_as_an_agent_reply(signed_in: Any, console: Console) -> None:
    ticket_id = _conversation_ticket(console)
    before = len(console.stack.store.comments(ticket_id))
    signed_in.goto(f"{console.url}/tickets/{ticket_id}")
    box = signed_in.get_by_label("Your reply")
    assert box.get_attribute("aria-describedby") == "reply-note"
    assert signed_in.locator("#reply-note").inner_text() == (
        "Replies are added to the ticket and emailed to the requester, with the followers in copy.")

    box.fill("Thanks, Ann.\n\nWe are looking into it.")
    signed_in.get_by_role("button", name="Submit").click()

    signed_in.wait_for_url(f"{console.url}/tickets/{ticket_id}")
    assert signed_in.get_by_role("status").inner_text() == "Reply added to the ticket."
    assert signed_in.get_by_label("Your reply").input_value() == ""  # POST/redirect/GET: a reload adds nothing
    cards = signed_in.locator("li.comment")
    assert cards.count() == before + 1
    last = cards.nth(before)
    assert "comment-agent" in (last.get_attribute("class") or "")
    assert last.get_by_role("heading", name="Agent reply by admin").is_visible()
    assert last.locator(".mail-text").inner_text() == "Thanks, Ann.\n\nWe are looking into it."
    assert "comment-agent" not in (cards.nth(0).get_attribute("class") or "")  # the customer's mail stays plain
    stored = console.stack.store.comments(ticket_id)[-1]
    assert (stored.author, stored.author_kind, stored.gmail_message_id) == ("admin", "agent", None)


def test_the_reply_box_says_so_when_the_brand_mails_no_replies(signed_in: Any, console: Console) -> None:
    """With the comment-update trigger off a public reply is kept but mailed to nobody: the agent is told."""
    ticket_id = _conversation_ticket(console)
    deps = console.stack.deps
    assert deps is not None
    save_trigger(deps, "default", Trigger.COMMENT_UPDATE, enabled=False, template=None)
    try:
        signed_in.goto(f"{console.url}/tickets/{ticket_id}")
        assert "replies are added to the ticket but not emailed to anyone" in signed_in.locator(
            "#reply-note").inner_text()
    finally:
        save_trigger(deps, "default", Trigger.COMMENT_UPDATE, enabled=True, template=None)
    signed_in.goto(f"{console.url}/tickets/{ticket_id}")
    assert signed_in.locator("#reply-note").inner_text().startswith("Replies are added to the ticket and emailed")


def test_blank_reply_is_refused_and_shown_again(signed_in: Any, console: Console) -> None:
    ticket_id = _conversation_ticket(console)
    before = len(console.stack.store.comments(ticket_id))
    signed_in.goto(f"{console.url}/tickets/{ticket_id}")
    signed_in.get_by_label("Your reply").fill("   ")  # passes the browser's `required`, not the server
    with signed_in.expect_response(f"{console.url}/tickets/{ticket_id}/reply") as info:
        signed_in.get_by_role("button", name="Submit").click()
    assert info.value.status == 400
    assert "The reply is empty" in signed_in.get_by_role("alert").inner_text()
    assert signed_in.get_by_label("Your reply").input_value() == "   "  # the draft is kept
    assert len(console.stack.store.comments(ticket_id)) == before


def test_reply_without_csrf_token_is_rejected(signed_in: Any, console: Console) -> None:
    ticket_id = _conversation_ticket(console)
    before = len(console.stack.store.comments(ticket_id))
    response = signed_in.request.post(f"{console.url}/tickets/{ticket_id}/reply", form={"body": "forged"},
                                      max_redirects=0)
    assert response.status == 400 and "Form expired" in response.text()
    assert len(console.stack.store.comments(ticket_id)) == before


def test_reply_without_sign_in_is_refused(page: Any, console: Console) -> None:
    ticket_id = _conversation_ticket(console)
    before = len(console.stack.store.comments(ticket_id))
    response = page.request.post(f"{console.url}/tickets/{ticket_id}/reply", form={"body": "anonymous"},
                                 max_redirects=0)
    assert response.status == 401
    assert len(console.stack.store.comments(ticket_id)) == before


def test_reply_to_an_unknown_ticket_is_not_found(signed_in: Any, console: Console) -> None:
    signed_in.goto(f"{console.url}/tickets/{_conversation_ticket(console)}")
    token = signed_in.locator("form[action$='/reply'] input[name=csrf_token]").get_attribute("value")
    response = signed_in.request.post(f"{console.url}/tickets/999999/reply",
                                      form={"body": "Hello?", "csrf_token": token}, max_redirects=0)
    assert response.status == 404


def test_comment_html_is_shown_as_stored_with_cids_resolved_and_remote_images_on_request() -> None:
    """The HTML was sanitized once, when the mail was recorded: the view rewrites image sources and nothing else."""
    from gmail_tickets.domain.model import Attachment
    from gmail_tickets.web import comment_html

    files = [Attachment("a.png", "image/png", 3, blob_key="attachments/abc", content_id="<Logo@x>", inline=True)]
    stored = ('<p title="src=&quot;cid:logo@x&quot;">src="cid:logo@x" &lt;img&gt;</p><img src="cid:logo@x" alt="l">'
              '<img src="cid:gone@x" alt="g"><img data-remote-src="https://t.example/p.gif" alt="r">')
    html = str(comment_html.render(stored, files, lambda key: f"/t/1/attachments/{key}?a=1&b=2"))
    assert html == stored.replace('src="cid:logo@x" alt="l"', 'src="/t/1/attachments/attachments/abc?a=1&amp;b=2" '
                                  'alt="l"').replace('src="cid:gone@x"', 'data-missing-cid=""')
    assert comment_html.has_remote_images(stored) and not comment_html.has_remote_images('<img src="cid:x">')
    shown = str(comment_html.render(stored, files, lambda key: "/f", remote_images=True))
    assert shown.endswith('<img src="https://t.example/p.gif" alt="r">')
