"""Outbound mail in the console, in a real browser: a ticket's notifications with their route and errors, "Send
again", the Notifications page, files on an agent's reply, brand acknowledgement templates, and the support
address page's send count and limit warning.

The stack itself ingests and sends (its acknowledgements go out through the simulator's Gmail); the console is
served on the same store with a recording publisher in place of the stack's, so what the console announces is
observed here and stays queued instead of being sent at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from devstack.embedded_stack import DEFAULT_ADDRESS, EmbeddedStack
from gmail_tickets.domain.model import Brand, Comment, Ticket
from gmail_tickets.domain.outbox import RESENT_NOTE, Notification, NotificationState, SendWindow
from gmail_tickets.domain.send_window import bucket_of
from gmail_tickets.ports import UnitOfWork
from gmail_tickets.services import mailbox_health
from gmail_tickets.services.ack_template import DEFAULT_ACK_TEMPLATE
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.send_notification import SEND_LIMIT_WARNING
from gmail_tickets.web.tickets import MAX_REPLY_BYTES, MAX_REPLY_FILES, REPLY_REQUEST_LIMIT
from tests.fixtures.browser import deliver_all, screenshot, sign_in, wait_for

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@dataclass
class RecordingPublisher:
    """Keeps what is published instead of delivering it."""

    published: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def publish(self, topic: str, data: dict[str, Any]) -> None:
        self.published.append((topic, data))

    def publish_many(self, topic: str, messages: Sequence[dict[str, Any]]) -> None:
        self.published.extend((topic, data) for data in messages)


@dataclass
class OutboxConsole:
    url: str
    secret: str
    stack: EmbeddedStack
    deps: Deps  # the console's: the stack's, but with `publisher`
    publisher: RecordingPublisher


@pytest.fixture(scope="module")
def outbox_console() -> Iterator[OutboxConsole]:
    with tempfile.TemporaryDirectory(prefix="gt-outbox-") as state_dir, \
            EmbeddedStack(Path(state_dir), sweep_interval=3600) as stack:
        assert stack.deps is not None
        publisher = RecordingPublisher()
        deps = dataclasses.replace(stack.deps, publisher=publisher)
        served = stack.serve_console(deps)
        try:
            yield OutboxConsole(served.url, served.admin_secret, stack, deps, publisher)
        finally:
            served.stop()


@pytest.fixture
def admin(page: Any, outbox_console: OutboxConsole) -> Any:
    sign_in(page, outbox_console.url, outbox_console.secret)
    return page


_mails = iter(range(1, 10_000))


def new_ticket(console: OutboxConsole, subject: str) -> int:
    """A customer's mail, ingested by the stack; its acknowledgement is sent through the simulator's Gmail."""
    n = next(_mails)
    raw = (f"From: Ann Customer <ann{n}@shop.example>\r\nTo: {DEFAULT_ADDRESS}\r\nSubject: {subject}\r\n"
           f"Message-ID: <n{n}@shop.example>\r\n\r\nHello, about {subject}.\r\n").encode()
    deliver_all(console.stack, [raw])
    store = console.stack.store
    ticket = wait_for(lambda: next((t for t in store.list_tickets(limit=500) if t.subject == subject), None),
                      what="ticket created")
    return int(ticket.id)


def put(console: OutboxConsole, record: Notification) -> Notification:
    console.stack.store.atomically(lambda uow: uow.put_notification(record))
    return record


def failed_copy(console: OutboxConsole, ticket_id: int, error: str) -> Notification:
    """The ticket's acknowledgement as a second record, failed on the relay (as if Gmail had been refused)."""
    ack = wait_for(lambda: console.stack.store.list_notifications(ticket_id=ticket_id), what="acknowledgement")[0]
    now = console.deps.clock.now()
    record = dataclasses.replace(ack, id=ack.id + "-failed", state=NotificationState.FAILED, route="relay",
                                 route_reason="Gmail refused the mail: invalid recipient", force_relay=True,
                                 attempts=5, last_error=error, sent_at=None, gmail_message_id=None,
                                 created_at=now + timedelta(seconds=1), updated_at=now)
    return put(console, record)


def test_ticket_page_lists_its_acknowledgement_with_route(admin: Any, outbox_console: OutboxConsole) -> None:
    ticket_id = new_ticket(outbox_console, "Where is my parcel?")
    store = outbox_console.stack.store
    ack = wait_for(lambda: [n for n in store.list_notifications(ticket_id=ticket_id)
                            if n.state == NotificationState.SENT], what="acknowledgement sent")[0]
    admin.goto(f"{outbox_console.url}/tickets/{ticket_id}")
    section = admin.get_by_role("region", name="Notifications")
    row = section.locator("tbody tr")
    assert row.count() == 1
    cells = [row.locator("td").nth(i).inner_text() for i in range(5)]
    assert cells[0] == "Acknowledgement"
    assert cells[1] == ack.to[0]
    assert cells[2].startswith("sent")
    assert cells[3].startswith("via Gmail") and ack.route_reason and ack.route_reason in cells[3]
    assert row.locator("td").nth(4).locator("time").get_attribute("title").endswith("UTC")  # local text, UTC on hover
    assert section.get_by_role("button").count() == 0  # nothing to send again
    screenshot(admin, "ticket-notifications")


def test_failed_notification_shows_its_error_and_send_again_requeues(
        admin: Any, outbox_console: OutboxConsole) -> None:
    ticket_id = new_ticket(outbox_console, "Refund for order 7781")
    record = failed_copy(outbox_console, ticket_id, "The relay refused the mail: 550 5.1.1 mailbox unavailable")
    admin.goto(f"{outbox_console.url}/tickets/{ticket_id}")
    row = admin.locator(f"tr[id='notification-{record.id}']")
    assert "failed" in row.inner_text()
    assert row.locator(".alert-error").inner_text() == (
        "Error: The relay refused the mail: 550 5.1.1 mailbox unavailable")
    assert "via relay" in row.inner_text() and "Gmail refused the mail: invalid recipient" in row.inner_text()
    published = len(outbox_console.publisher.published)

    row.get_by_role("button", name=f"Send again the acknowledgement to {record.to[0]}").click()

    admin.wait_for_url(f"{outbox_console.url}/tickets/{ticket_id}")
    assert admin.get_by_role("status").inner_text() == (
        f"Acknowledgement to {record.to[0]} is queued to be sent again.")
    stored = outbox_console.stack.store.get_notification(record.id)
    assert stored is not None
    assert (stored.state, stored.attempts, stored.last_error, stored.force_relay) == ("queued", 0, None, False)
    assert outbox_console.publisher.published[published:] == [
        (outbox_console.deps.settings.outbound_topic, {"notification": record.id})]
    row = admin.locator(f"tr[id='notification-{record.id}']")
    assert row.locator("td").nth(2).inner_text().startswith("queued")
    assert row.get_by_role("button").count() == 0  # queued: nothing to send again


def test_send_again_of_a_sent_notification_is_refused(admin: Any, outbox_console: OutboxConsole) -> None:
    ticket_id = new_ticket(outbox_console, "Cannot log in")
    store = outbox_console.stack.store
    ack = wait_for(lambda: [n for n in store.list_notifications(ticket_id=ticket_id)
                            if n.state == NotificationState.SENT], what="acknowledgement sent")[0]
    admin.goto(f"{outbox_console.url}/tickets/{ticket_id}")
    token = admin.locator("form[action$='/reply'] input[name=csrf_token]").get_attribute("value")
    published = len(outbox_console.publisher.published)
    response = admin.request.post(f"{outbox_console.url}/notifications/{ack.id}/send-again",
                                  form={"csrf_token": token, "back": "ticket"})
    assert response.url == f"{outbox_console.url}/tickets/{ticket_id}"
    assert "Only a failed notification can be sent again; this one is sent." in response.text()
    assert len(outbox_console.publisher.published) == published
    assert store.get_notification(ack.id).state == NotificationState.SENT  # type: ignore[union-attr]
    forged = admin.request.post(f"{outbox_console.url}/notifications/{ack.id}/send-again", form={"back": "ticket"},
                                max_redirects=0)
    assert forged.status == 400  # no CSRF token


def test_notifications_page_lists_failed_first_then_waiting_then_sent(
        admin: Any, outbox_console: OutboxConsole) -> None:
    ticket_id = new_ticket(outbox_console, "Broken zipper")
    failed = failed_copy(outbox_console, ticket_id, "No mail relay is configured, and this mail cannot go via Gmail")
    queued = put(outbox_console, dataclasses.replace(failed, id=failed.id + "-queued", state=NotificationState.QUEUED,
                                                     route=None, route_reason="", attempts=0, last_error=None))
    admin.goto(outbox_console.url + "/tickets")
    admin.get_by_role("link", name="Notifications").click()
    admin.wait_for_url(outbox_console.url + "/notifications")
    assert admin.get_by_role("link", name="Notifications").get_attribute("aria-current") == "page"
    headings = admin.get_by_role("heading", level=2).all_inner_texts()
    assert [h.split()[0] for h in headings] == ["Failed", "Waiting", "Recently"]

    failed_part = admin.get_by_role("region", name="Failed")
    assert failed_part.locator(f"tr[id='notification-{failed.id}']").count() == 1
    assert failed_part.locator("tbody tr .alert-error").count() == failed_part.locator("tbody tr").count()
    waiting = admin.get_by_role("region", name="Waiting to be sent")
    assert "not chosen yet" in waiting.locator(f"tr[id='notification-{queued.id}']").inner_text()
    assert waiting.get_by_role("button").count() == 0
    sent = admin.get_by_role("region", name="Recently sent")
    assert sent.locator("tbody tr").count() >= 1 and sent.get_by_role("button").count() == 0
    assert "via Gmail" in sent.locator("tbody tr").first.inner_text()
    screenshot(admin, "notifications")

    failed_part.locator(f"tr[id='notification-{failed.id}']").get_by_role(
        "button", name=f"Send again the acknowledgement to {failed.to[0]} (ticket #{ticket_id})").click()
    admin.wait_for_url(outbox_console.url + "/notifications")
    assert "is queued to be sent again" in admin.get_by_role("status").inner_text()
    assert admin.get_by_role("region", name="Waiting to be sent").locator(
        f"tr[id='notification-{failed.id}']").count() == 1

    admin.get_by_role("region", name="Waiting to be sent").get_by_role("link", name=f"#{ticket_id}").first.click()
    admin.wait_for_url(f"{outbox_console.url}/tickets/{ticket_id}")


def test_a_retrying_notification_shows_its_next_attempt_and_reason(admin: Any, outbox_console: OutboxConsole) -> None:
    ticket_id = new_ticket(outbox_console, "Relay outage")
    failed = failed_copy(outbox_console, ticket_id, "unused")
    now = outbox_console.deps.clock.now()
    reason = "The relay could not take the mail: relay unreachable (Connection refused)"
    retrying = put(outbox_console, dataclasses.replace(
        failed, id=failed.id + "-retrying", state=NotificationState.RETRYING, attempts=3, last_error=reason,
        next_attempt_at=now + timedelta(minutes=4), first_failed_at=now - timedelta(minutes=3)))
    store = outbox_console.stack.store
    store.atomically(lambda uow: uow.put_notification(dataclasses.replace(failed, state=NotificationState.SENT)))
    next_utc = (now + timedelta(minutes=4)).strftime("%Y-%m-%d %H:%M UTC")

    admin.goto(f"{outbox_console.url}/tickets/{ticket_id}")
    row = admin.locator(f"tr[id='notification-{retrying.id}']")
    assert row.locator("td").nth(2).inner_text().startswith("retrying")
    note = row.locator(".retrying")
    note_text = note.inner_text()
    assert note.inner_text().startswith("retrying — next attempt at ") and note.inner_text().endswith(
        f", reason: {reason}")
    assert note.locator("time").get_attribute("title").endswith(next_utc)  # the browser's own time, UTC on hover
    assert row.get_by_role("button").count() == 0  # it retries by itself: nothing to send again

    admin.goto(outbox_console.url + "/notifications")
    waiting = admin.get_by_role("region", name="Waiting to be sent")
    assert waiting.locator(f"tr[id='notification-{retrying.id}'] .retrying").inner_text() == note_text
    screenshot(admin, "notification-retrying")


def test_a_notification_sent_again_after_an_interruption_says_so(admin: Any, outbox_console: OutboxConsole) -> None:
    ticket_id = new_ticket(outbox_console, "Relay hand-over cut off")
    failed = failed_copy(outbox_console, ticket_id, "unused")
    now = outbox_console.deps.clock.now()
    resent = put(outbox_console, dataclasses.replace(
        failed, id=failed.id + "-resent", state=NotificationState.SENT, route="relay", attempts=2, last_error=None,
        sent_at=now, resent_after_interruption=1))
    admin.goto(f"{outbox_console.url}/tickets/{ticket_id}")
    row = admin.locator(f"tr[id='notification-{resent.id}']")
    assert row.locator(".resent").inner_text() == f"{RESENT_NOTE} (resent 1×)"
    assert row.get_by_role("button").count() == 0  # sent: nothing to send again
    admin.goto(outbox_console.url + "/notifications")
    sent = admin.get_by_role("region", name="Recently sent")
    assert sent.locator(f"tr[id='notification-{resent.id}'] .resent").inner_text().startswith(
        "Sent again after its sender was interrupted")
    assert admin.locator(f"tr[id='notification-{failed.id}'] .resent").count() == 0  # only where it happened


def test_reply_with_files_keeps_them_and_queues_them_with_the_mail(
        admin: Any, outbox_console: OutboxConsole) -> None:
    ticket_id = new_ticket(outbox_console, "Invoice copy please")
    store = outbox_console.stack.store
    before = len(store.comments(ticket_id))
    text = b"Line one\nLine two\n"
    admin.goto(f"{outbox_console.url}/tickets/{ticket_id}")
    files = admin.get_by_label("Attach files")
    assert files.get_attribute("multiple") is not None and files.get_attribute("type") == "file"
    assert "Replies with attachments are sent through the mail relay." in admin.locator("#files-note").inner_text()
    admin.get_by_label("Your reply").fill("Here is the copy, and a picture of the form.")
    files.set_input_files([
        {"name": "plan<v2>.txt", "mimeType": "text/plain", "buffer": text},
        {"name": "form.png", "mimeType": "image/png", "buffer": PNG},
    ])
    admin.get_by_role("button", name="Submit").click()

    admin.wait_for_url(f"{outbox_console.url}/tickets/{ticket_id}")
    assert admin.get_by_role("status").inner_text() == "Reply added to the ticket with 2 files."
    comment = store.comments(ticket_id)[-1]
    assert len(store.comments(ticket_id)) == before + 1 and comment.author_kind == "agent"
    kept = {a.filename: a for a in comment.attachments}
    assert set(kept) == {"plan_v2_.txt", "form.png"}  # the name cleaned like a sender's
    assert kept["plan_v2_.txt"].blob_key == "attachments/" + hashlib.sha256(text).hexdigest()
    assert (kept["form.png"].content_type, kept["form.png"].size) == ("image/png", len(PNG))
    for a in kept.values():
        assert outbox_console.deps.blobs.exists(a.blob_key or "")

    card = admin.locator("li.comment").nth(before)
    assert card.get_by_role("heading", name="Agent reply by admin").is_visible()
    link = card.get_by_role("link", name="plan_v2_.txt")
    with admin.expect_download() as info:
        link.click()
    assert Path(info.value.path()).read_bytes() == text
    assert "image/png" in card.locator("ul.files").inner_text()

    reply = next(n for n in store.list_notifications(ticket_id=ticket_id) if n.event == f"reply:{comment.id}")
    assert {(a.filename, a.content_type, a.size, a.blob_key) for a in reply.attachments} == {
        (a.filename, a.content_type, a.size, a.blob_key) for a in kept.values()}
    assert ((outbox_console.deps.settings.outbound_topic, {"notification": reply.id})
            in outbox_console.publisher.published)
    row = admin.locator(f"tr[id='notification-{reply.id}']")
    assert row.locator("td").nth(0).inner_text() == "Agent reply · 2 files: plan_v2_.txt, form.png"
    screenshot(admin, "ticket-reply-files")


def test_too_many_or_too_large_files_are_refused_with_the_draft_kept(
        admin: Any, outbox_console: OutboxConsole) -> None:
    ticket_id = new_ticket(outbox_console, "Many files")
    store = outbox_console.stack.store
    before = len(store.comments(ticket_id))
    admin.goto(f"{outbox_console.url}/tickets/{ticket_id}")
    admin.get_by_label("Your reply").fill("Draft with files")
    admin.get_by_label("Attach files").set_input_files(
        [{"name": f"f{i}.txt", "mimeType": "text/plain", "buffer": b"x"} for i in range(MAX_REPLY_FILES + 1)])
    with admin.expect_response(f"{outbox_console.url}/tickets/{ticket_id}/reply") as info:
        admin.get_by_role("button", name="Submit").click()
    assert info.value.status == 400
    assert admin.get_by_role("alert").inner_text() == (
        f"You chose {MAX_REPLY_FILES + 1} files; a reply can carry at most {MAX_REPLY_FILES}. "
        "Choose the files again before adding the reply.")
    assert admin.get_by_label("Your reply").input_value() == "Draft with files"

    admin.get_by_label("Attach files").set_input_files(
        [{"name": "big.bin", "mimeType": "application/octet-stream", "buffer": b"\0" * (MAX_REPLY_BYTES + 1)}])
    with admin.expect_response(f"{outbox_console.url}/tickets/{ticket_id}/reply") as info:
        admin.get_by_role("button", name="Submit").click()
    assert info.value.status == 400
    assert "a reply can carry at most 10 MB of files in all" in admin.get_by_role("alert").inner_text()
    assert admin.get_by_label("Your reply").input_value() == "Draft with files"
    assert len(store.comments(ticket_id)) == before


def test_upload_far_beyond_the_limit_is_cut_off_with_a_message(admin: Any, outbox_console: OutboxConsole) -> None:
    ticket_id = new_ticket(outbox_console, "Huge upload")
    before = len(outbox_console.stack.store.comments(ticket_id))
    admin.goto(f"{outbox_console.url}/tickets/{ticket_id}")
    token = admin.locator("form[action$='/reply'] input[name=csrf_token]").get_attribute("value")
    huge = {"name": "huge.bin", "mimeType": "application/octet-stream", "buffer": b"\0" * (REPLY_REQUEST_LIMIT + 1)}
    response = admin.request.post(f"{outbox_console.url}/tickets/{ticket_id}/reply",
                                  multipart={"csrf_token": token or "", "body": "Too big", "files": huge})
    assert response.status == 413
    assert "Files on a reply may come to 10 MB in all." in response.text()
    assert len(outbox_console.stack.store.comments(ticket_id)) == before


def test_brands_page_saves_a_template_and_refuses_a_broken_one(admin: Any, outbox_console: OutboxConsole) -> None:
    outbox_console.stack.store.save_brand(Brand(id="acme", name="Acme Tools"))
    admin.goto(outbox_console.url + "/tickets")
    admin.get_by_role("link", name="Brands").click()
    admin.wait_for_url(outbox_console.url + "/brands")
    assert admin.get_by_role("heading", level=2).all_inner_texts() == ["Default brand", "Acme Tools (acme)"]
    assert admin.get_by_label("Acknowledgement for Acme Tools").input_value() == ""
    box = admin.get_by_label("Acknowledgement for Default brand")
    assert box.get_attribute("placeholder") == DEFAULT_ACK_TEMPLATE
    variables = admin.locator("dl.variables").inner_text()
    for name in ("ticket_id", "subject", "requester", "requester_name", "brand"):
        assert "{{ " + name + " }}" in variables

    template = "Hello {{ requester_name or 'there' }},\n\nWe opened ticket #{{ ticket_id }}.\n\n{{ brand }}"
    box.fill(template)
    admin.get_by_role("button", name="Save the acknowledgement for Default brand").click()
    admin.wait_for_url(outbox_console.url + "/brands")
    assert admin.get_by_role("status").inner_text() == "Saved the acknowledgement for Default brand."
    assert admin.get_by_label("Acknowledgement for Default brand").input_value() == template
    saved = {b.id: b.ack_template for b in outbox_console.stack.store.list_brands()}
    assert saved["default"] == template

    admin.get_by_label("Acknowledgement for Default brand").fill("Hello {{ unclosed")
    with admin.expect_response(f"{outbox_console.url}/brands/default/acknowledgement") as info:
        admin.get_by_role("button", name="Save the acknowledgement for Default brand").click()
    assert info.value.status == 400
    assert admin.get_by_role("alert").inner_text().startswith("Not saved: The template does not render:")
    box = admin.get_by_label("Acknowledgement for Default brand")
    assert box.input_value() == "Hello {{ unclosed"  # the draft is kept
    assert box.get_attribute("aria-invalid") == "true"
    assert "does not render" in admin.locator(".brand-card .alert-error").inner_text()
    assert {b.id: b.ack_template for b in outbox_console.stack.store.list_brands()}["default"] == template
    screenshot(admin, "brands")

    box.fill("")
    admin.get_by_role("button", name="Save the acknowledgement for Default brand").click()
    assert admin.get_by_role("status").inner_text() == "Default brand now uses the built-in acknowledgement."
    assert {b.id: b.ack_template for b in outbox_console.stack.store.list_brands()}["default"] is None


def _save_template(admin: Any, console: OutboxConsole, template: str) -> Any:
    admin.goto(console.url + "/brands")
    admin.get_by_label("Acknowledgement for Default brand").fill(template)
    with admin.expect_response(f"{console.url}/brands/default/acknowledgement") as info:
        admin.get_by_role("button", name="Save the acknowledgement for Default brand").click()
    return info.value


def _ack_text(console: OutboxConsole, ticket_id: int) -> str:
    return wait_for(lambda: console.stack.store.list_notifications(ticket_id=ticket_id), what="acknowledgement")[0].text


def test_a_template_failing_for_some_mails_falls_back_and_shows_on_the_brands_page(
        admin: Any, outbox_console: OutboxConsole) -> None:
    """ZeroDivisionError and TypeError (not Jinja's errors) for some subjects only: those mails still become
    tickets with the built-in acknowledgement, the mail after them is not held up, and the Brands page names
    the ticket the template failed on."""
    template = ('{% if "boom" in subject %}{{ 1 // 0 }}{% elif "typo" in subject %}{{ subject + 1 }}{% endif %}'
                "Hi {{ requester_name }}, we opened ticket #{{ ticket_id }}.")
    assert _save_template(admin, outbox_console, template).status == 302  # saved: it renders for every sample
    try:
        boom = new_ticket(outbox_console, "It went boom")
        typo = new_ticket(outbox_console, "A typo in my invoice")
        fine = new_ticket(outbox_console, "All fine otherwise")
        assert _ack_text(outbox_console, boom).startswith("Hello Ann Customer,\n\nThank you for writing to us.")
        assert _ack_text(outbox_console, typo).startswith("Hello Ann Customer,\n\nThank you for writing to us.")
        assert _ack_text(outbox_console, fine) == f"Hi Ann Customer, we opened ticket #{fine}.\n"
        store = outbox_console.stack.store
        failure = wait_for(lambda: next(b for b in store.list_brands() if b.id == "default").ack_failure,
                           what="the failure kept on the brand")
        assert (failure.ticket_id, failure.error) == (boom, "ZeroDivisionError")

        admin.goto(outbox_console.url + "/brands")
        shown = admin.locator(".template-failure").inner_text()
        assert f"This template failed on ticket #{boom}: ZeroDivisionError." in " ".join(shown.split())
        admin.locator(".template-failure").get_by_role("link", name=f"ticket #{boom}").click()
        admin.wait_for_url(f"{outbox_console.url}/tickets/{boom}")
    finally:
        _save_template(admin, outbox_console, "")


@pytest.mark.parametrize(("template", "error"), [
    ("{{ 100 // requester_name|length }}", "ZeroDivisionError"),  # a sample ticket has an empty name
    ("{{ requester_name + ticket_id }}", "TypeError"),
    ("{{ '%c' % ticket_id }}", "OverflowError"),  # a sample ticket has a huge id
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "TemplateBudgetExceeded"),
])
def test_saving_a_template_that_fails_for_a_sample_ticket_is_refused_with_a_message(
        admin: Any, outbox_console: OutboxConsole, template: str, error: str) -> None:
    answer = _save_template(admin, outbox_console, template)
    assert answer.status == 400
    assert admin.get_by_role("alert").inner_text().startswith(f"Not saved: The template does not render: {error}")
    assert admin.get_by_label("Acknowledgement for Default brand").input_value() == template
    assert next((b.ack_template for b in outbox_console.stack.store.list_brands() if b.id == "default"), None) is None


def test_addresses_page_shows_sends_and_the_limit_warning(admin: Any, outbox_console: OutboxConsole) -> None:
    store = outbox_console.stack.store
    original = store.get_send_window(DEFAULT_ADDRESS)
    limit = next(r.send_limit for r in mailbox_health.health(outbox_console.deps) if r.address == DEFAULT_ADDRESS)
    assert limit
    full = SendWindow(DEFAULT_ADDRESS, buckets={bucket_of(outbox_console.deps.clock.now()): limit})

    def put_window(window: SendWindow) -> None:
        store.atomically(lambda uow: _put_window(uow, window))

    put_window(full)
    try:
        admin.goto(outbox_console.url + "/addresses")
        card = admin.locator("section.address", has_text=DEFAULT_ADDRESS)
        facts = card.locator("dl.facts").inner_text()
        assert f"Sent via Gmail in 24 h\n{limit:,} of {limit:,} recipients — limit reached: Gmail takes mail" in facts
        assert "the mail relay sends meanwhile" in facts
        banner = admin.get_by_role("region", name="Support addresses that need attention")
        assert f"{DEFAULT_ADDRESS} has reached Gmail's sending limit" in banner.inner_text()
        assert SEND_LIMIT_WARNING in next(r for r in mailbox_health.health(outbox_console.deps)
                                          if r.address == DEFAULT_ADDRESS).warnings
    finally:
        put_window(original)
    admin.reload()
    card = admin.locator("section.address", has_text=DEFAULT_ADDRESS)
    assert "limit reached" not in card.inner_text()


def _put_window(uow: UnitOfWork, window: SendWindow) -> None:
    uow.put_send_window(window)


def test_new_pages_have_landmarks_and_labels(admin: Any, outbox_console: OutboxConsole) -> None:
    ticket_id = new_ticket(outbox_console, "Landmarks")
    for path in ("/notifications", "/brands", f"/tickets/{ticket_id}", "/addresses"):
        admin.goto(outbox_console.url + path)
        assert admin.locator("main").count() == 1, path
        assert admin.get_by_role("navigation", name="Main").count() == 1, path
        unlabeled = admin.evaluate(
            "() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
            ".filter(el => !el.labels || el.labels.length === 0).length")
        assert unlabeled == 0, path
        assert admin.get_by_role("heading", level=1).count() == 1, path


def _ticket_with_reply_to(console: OutboxConsole, reply_to: str) -> int:
    """A ticket whose customer mail named a Reply-To (kept on the comment by the ingest path; set directly)."""
    now = console.deps.clock.now()
    n = next(_mails)
    requester = f"ann{n}@shop.example"

    def work(uow: UnitOfWork) -> int:
        ticket_id = uow.add_ticket(Ticket(subject=f"Order {n}", requester=requester, connection=DEFAULT_ADDRESS,
                                          created_at=now))
        uow.add_comment(Comment(ticket_id=ticket_id, author=requester, body_text="Where is it?", created_at=now,
                                connection=DEFAULT_ADDRESS, reply_to=reply_to))
        return ticket_id

    return console.stack.store.atomically(work)


@pytest.mark.parametrize("confirm", [False, True])
def test_reply_goes_to_a_foreign_reply_to_only_when_the_agent_ticks_it(
        admin: Any, outbox_console: OutboxConsole, confirm: bool) -> None:
    ticket_id = _ticket_with_reply_to(outbox_console, "eve@evil.example")
    requester = outbox_console.stack.store.get_ticket(ticket_id).requester  # type: ignore[union-attr]
    admin.goto(f"{outbox_console.url}/tickets/{ticket_id}")
    box = admin.get_by_role("checkbox", name="Reply to eve@evil.example instead")
    assert not box.is_checked()
    assert "emailed to the requester" in admin.locator("#reply-note").inner_text()
    admin.get_by_label("Your reply").fill("Your order ships today.")
    if confirm:
        box.check()
    admin.get_by_role("button", name="Submit").click()
    admin.wait_for_url(f"{outbox_console.url}/tickets/{ticket_id}")
    [reply] = [n for n in outbox_console.stack.store.list_notifications(ticket_id=ticket_id)
               if n.event.startswith("reply:")]
    assert reply.to == (("eve@evil.example",) if confirm else (requester,))


def test_a_reply_to_in_the_senders_domain_is_followed_without_asking(
        admin: Any, outbox_console: OutboxConsole) -> None:
    ticket_id = _ticket_with_reply_to(outbox_console, "orders@team.shop.example")
    admin.goto(f"{outbox_console.url}/tickets/{ticket_id}")
    assert admin.get_by_role("checkbox").count() == 0
    assert "orders@team.shop.example" in admin.locator("#reply-note").inner_text()


def test_a_held_back_acknowledgement_is_shown_skipped_with_its_reason(
        admin: Any, outbox_console: OutboxConsole) -> None:
    sender = f"repeat{next(_mails)}@shop.example"
    subjects = [f"Question {sender} {i}" for i in range(2)]
    deliver_all(outbox_console.stack, [
        f"From: {sender}\r\nTo: {DEFAULT_ADDRESS}\r\nSubject: {s}\r\nMessage-ID: <{i}.{sender}>\r\n\r\nHi.\r\n"
        .encode() for i, s in enumerate(subjects)])
    store = outbox_console.stack.store
    second = wait_for(lambda: next((t for t in store.list_tickets(limit=500) if t.subject == subjects[1]), None),
                      what="second ticket")
    admin.goto(f"{outbox_console.url}/tickets/{second.id}")
    row = admin.get_by_role("region", name="Notifications").locator("tbody tr")
    assert row.locator("td").nth(2).inner_text().startswith("skipped")
    assert "Reason: Acknowledgement not sent: an automatic mail already went to this address" in row.inner_text()
    assert row.get_by_role("button").count() == 0
