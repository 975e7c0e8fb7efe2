"""A hostile HTML body through the real pipeline (simulator over HTTP, both stores): it becomes a ticket with its
HTML bounded and a visible note, the raw mail keeps it whole, and the mail behind it is not held up."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from gmail_tickets.mail.html_bound import MAX_DEPTH
from gmail_tickets.services.sync_mailbox import sync_mailbox
from tests.html_shape import depth, nested
from tests.integration.ingest_harness import IngestHarness, customer_mail

SUPPORT = "support@example.com"
NOTE = "only the first 512 KB is shown. The whole mail is kept as it arrived."


@pytest.fixture
def harness(sim, sim_server, store, tmp_path: Path) -> Iterator[IngestHarness]:
    yield IngestHarness(sim, sim_server, store, tmp_path)


def html_mail(subject: str, html: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Deep Diver <diver@customer.example>"
    msg["To"] = SUPPORT
    msg["Subject"] = subject
    msg.set_content(html, subtype="html", cte="8bit")
    return msg.as_bytes()


def test_nested_div_mail_becomes_a_ticket_with_bounded_html_and_a_visible_note(harness: IngestHarness) -> None:
    hostile = html_mail("Deep", "<p>Hello from the surface.</p>" + nested(200_000, "the bottom"))  # 2.2 MB
    behind = customer_mail("Right behind it")
    ids = [harness.deliver(hostile), harness.deliver(behind)]
    assert sync_mailbox(harness.deps, SUPPORT).status == "synced"

    tickets = {t.subject: t for t in harness.store.list_tickets()}
    assert set(tickets) == {"Deep", "Right behind it"}
    [comment] = harness.store.comments(tickets["Deep"].id or 0)
    assert comment.body_html is not None
    assert depth(comment.body_html) <= MAX_DEPTH
    assert comment.body_html.startswith("<p>Hello from the surface.</p><div><div>")
    assert NOTE in comment.body_html and "was flattened" in comment.body_html
    assert comment.body_text.startswith("Hello from the surface.") and NOTE in comment.body_text
    entry = harness.store.atomically(lambda uow: uow.get_ledger(SUPPORT, ids[0]))
    assert entry is not None and entry.raw_key is not None
    assert harness.deps.blobs.get(entry.raw_key) == hostile  # the original, whole


def test_deep_but_small_html_keeps_every_word(harness: IngestHarness) -> None:
    levels = "".join(f"<div>level {i} " for i in range(5_000))
    deliver = html_mail("Deep but small", levels + "the bottom" + "</div>" * 5_000)
    harness.deliver(deliver)
    assert sync_mailbox(harness.deps, SUPPORT).status == "synced"
    [comment] = harness.store.comments(harness.store.list_tickets()[0].id or 0)
    assert comment.body_html is not None and depth(comment.body_html) <= MAX_DEPTH
    for words in ("level 0", "level 4999", "the bottom", "Markup nested deeper than 100 levels was flattened."):
        assert words in comment.body_html and words in comment.body_text
