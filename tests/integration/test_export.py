"""The export on the real stores (SQLite and the Firestore emulator): every ticket, whole (comments with their
attachment references, the history of its fields), paged by last change and cut at `since`; and the command's
JSON Lines with its count on stderr."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gmail_tickets.adapters.inline_jobs import InlineJobs
from gmail_tickets.adapters.local_blobs import FileBlobs
from gmail_tickets.adapters.local_secrets import FileSecrets
from gmail_tickets.domain.model import Attachment, Comment, Ticket
from gmail_tickets.domain.ticket_fields import Priority
from gmail_tickets.domain.ticket_lifecycle import FieldChanges
from gmail_tickets.domain.ticket_token import TicketTokens
from gmail_tickets.local.export_cli import export
from gmail_tickets.ports import Store
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.export import export_tickets
from gmail_tickets.services.ticket_changes import update_ticket

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
HELP = "help@acme.test"


class Clock:
    at = T0 + timedelta(days=1)

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def deps(store: Store, tmp_path: Path) -> Deps:
    return Deps(store=store, mailbox_for=lambda a: None, publisher=None, secrets=FileSecrets(tmp_path / "s.json"),  # type: ignore[arg-type]
                clock=Clock(), blobs=FileBlobs(tmp_path / "b"), tokens=TicketTokens(b"k" * 32), jobs=InlineJobs())


def _tickets(store: Store, n: int) -> list[int]:
    def work(uow: Any, i: int) -> int:
        at = T0 + timedelta(hours=i)
        ticket_id = uow.add_ticket(Ticket(f"Question {i}", f"c{i}@customer.test", HELP, created_at=at, updated_at=at))
        uow.add_comment(Comment(ticket_id=ticket_id, author=f"c{i}@customer.test", body_text=f"Body {i} ✓",
                                created_at=at, connection=HELP, gmail_message_id=f"g{i}",
                                attachments=[Attachment("bill.pdf", "application/pdf", 1234, blob_key=f"sha-{i}")]))
        return ticket_id

    return [store.atomically(lambda uow, i=i: work(uow, i)) for i in range(n)]


def test_every_ticket_whole_page_by_page_newest_change_first(deps: Deps, store: Store) -> None:
    ids = _tickets(store, 5)
    update_ticket(deps, ids[0], FieldChanges(priority=Priority.URGENT), actor="Ana", version=None)
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(10):
        page = export_tickets(deps, cursor=cursor, limit=2)
        seen += page.tickets
        cursor = page.cursor
        if cursor is None:
            break
    assert [t["id"] for t in seen] == [ids[0], ids[4], ids[3], ids[2], ids[1]]  # the change moved #1 up
    first = seen[0]
    assert first["priority"] == "urgent"
    change = next(c for c in first["history"] if c["field"] == "priority")
    assert (change["old"], change["new"], change["actor"]) == ("normal", "urgent", "Ana")
    (comment,) = first["comments"]
    assert comment["body_text"] == "Body 0 ✓"
    assert comment["attachments"] == [{"filename": "bill.pdf", "content_type": "application/pdf", "size": 1234,
                                       "blob_key": "sha-0", "inline": False}]


def test_since_keeps_the_tickets_changed_at_or_after_it(deps: Deps, store: Store) -> None:
    ids = _tickets(store, 4)
    page = export_tickets(deps, since=T0 + timedelta(hours=2), limit=50)
    assert [t["id"] for t in page.tickets] == [ids[3], ids[2]] and page.cursor is None


def test_the_command_writes_json_lines_and_counts_on_stderr(deps: Deps, store: Store) -> None:
    _tickets(store, 3)
    out, err = io.StringIO(), io.StringIO()
    assert export(deps, T0 + timedelta(hours=1), out, err) == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [t["subject"] for t in lines] == ["Question 2", "Question 1"]
    assert err.getvalue().strip().endswith("exported 2 tickets in all")
