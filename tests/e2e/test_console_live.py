"""The live endpoints through Flask's test client on both stores: an agent may poll and say they are typing; an
idle poll is a 304 costing one store read for the mark (plus the signed-in agent, read on every request); a new
ticket, a reply and a notification's new state move the marks; "Ana is replying" reaches another agent only."""

from __future__ import annotations

import dataclasses
import re
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gmail_tickets import bootstrap
from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.ports import Store
from gmail_tickets.services.deps import Deps
from gmail_tickets.web import ConsoleDeps, create_app
from gmail_tickets.web.auth import SecretAuth
from tests.e2e.test_console_roles import SECRET, _csrf, _invite, _setup_admin, _with_secret

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class CountingStore:
    """The store, counting the calls the console makes to it (each is one read here: no list is asked for)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._store, name)
        if callable(value):
            def counted(*args: Any, **kwargs: Any) -> Any:
                self.calls[name] += 1
                return value(*args, **kwargs)
            return counted
        return value


@pytest.fixture
def counting(store: Store) -> CountingStore:
    return CountingStore(store)


@pytest.fixture
def deps(counting: CountingStore, tmp_path: Path) -> Deps:
    config = bootstrap.Config(secrets_file=str(tmp_path / "secrets.json"), blobs_dir=str(tmp_path / "blobs"))
    return dataclasses.replace(bootstrap.build(config, store=counting._store), store=counting)  # type: ignore[arg-type]


@pytest.fixture
def app(deps: Deps) -> Any:
    return create_app(ConsoleDeps(deps, admin_auth=SecretAuth(SECRET), secret_key="test"))


def _ticket(store: Store) -> int:
    def work(uow: Any) -> int:
        ticket_id = uow.add_ticket(Ticket("Printer", "ann@customer.test", "help@acme.test", created_at=T0,
                                          last_reply_by="customer"))
        uow.add_comment(Comment(ticket_id, "Ann", "It is on fire", T0, "help@acme.test"))
        return int(ticket_id)

    return store.atomically(work)


def test_an_idle_poll_is_a_304_that_reads_the_mark_once(app: Any, deps: Deps, counting: CountingStore) -> None:
    admin = _setup_admin(app, deps)
    agent, _ = _invite(admin, app, "ana@acme.test")
    first = agent.get("/api/changes?key=all")
    assert first.status_code == 200 and first.json == {"marks": {"all": 0}}
    etag = first.headers["ETag"]
    counting.calls.clear()
    idle = agent.get("/api/changes?key=all", headers={"If-None-Match": etag})
    assert idle.status_code == 304 and idle.get_data() == b""
    assert counting.calls == Counter({"change_marks": 1, "get_agent": 1})  # the mark, and who is asking

    ticket_id = _ticket(deps.store)
    moved = agent.get("/api/changes?key=all", headers={"If-None-Match": etag})
    assert moved.status_code == 200 and moved.json["marks"]["all"] != 0  # a new ticket moves the desk's mark
    page = agent.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    # Its own mark counts its changes after the unit that made it (none yet: no page could show it before).
    assert f'data-live="ticket:{ticket_id}"' in page and 'data-live-mark="0"' in page
    assert re.search(r'<time datetime="2026-03-01T09:00:00Z" title="2026-03-01 09:00 UTC">3/1/26, 9:00\u202fAM UTC'
                     r"</time>", page)  # the reader's form (English here); ISO for the script and on hover
    listing = agent.get("/tickets").get_data(as_text=True)
    assert 'data-live="all"' in listing and 'src="/static/live.js"' in listing


def test_a_reply_moves_its_ticket_mark_and_clears_customer_replied(app: Any, deps: Deps) -> None:
    admin = _setup_admin(app, deps)
    ticket_id = _ticket(deps.store)
    assert "customer replied" not in admin.get("/tickets").get_data(as_text=True)  # a new ticket waits anyway

    def reopen(uow: Any) -> None:
        ticket = uow.get_ticket(ticket_id)
        ticket.status = TicketStatus.OPEN
        uow.put_ticket(ticket)

    deps.store.atomically(reopen)
    assert "customer replied" in admin.get("/tickets").get_data(as_text=True)
    assert "customer replied" in admin.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    before = admin.get(f"/api/changes?key=ticket:{ticket_id}&key=all").json["marks"]
    token = _csrf(admin, f"/tickets/{ticket_id}")
    version = deps.store.get_ticket(ticket_id).version  # type: ignore[union-attr]
    answer = admin.post(f"/tickets/{ticket_id}/reply", data={"body": "On it", "kind": "public", "csrf_token": token,
                                                             "version": str(version), "submit_as": "pending"})
    assert answer.status_code == 302
    after = admin.get(f"/api/changes?key=ticket:{ticket_id}&key=all").json["marks"]
    assert after[f"ticket:{ticket_id}"] == before[f"ticket:{ticket_id}"] + 1 and after["all"] > before["all"]
    assert deps.store.get_ticket(ticket_id).last_reply_by == "agent"  # type: ignore[union-attr]
    assert "customer replied" not in admin.get("/tickets").get_data(as_text=True)


def test_typing_reaches_the_other_agents_only(app: Any, deps: Deps) -> None:
    admin = _setup_admin(app, deps)
    agent, _ = _invite(admin, app, "ana@acme.test", name="Ana")
    ticket_id = _ticket(deps.store)
    token = _csrf(agent, f"/tickets/{ticket_id}")
    assert agent.post(f"/api/tickets/{ticket_id}/typing", headers={"X-CSRFToken": token}).status_code == 204
    assert agent.post(f"/api/tickets/{ticket_id}/typing").status_code == 400  # no CSRF token: refused
    seen_by_admin = admin.get(f"/api/changes?key=ticket:{ticket_id}&ticket={ticket_id}").json
    assert seen_by_admin["typing"] == ["Ana"]
    assert agent.get(f"/api/changes?key=ticket:{ticket_id}&ticket={ticket_id}").json["typing"] == []
    assert admin.get(f"/api/changes?key=ticket:{ticket_id + 1}&ticket={ticket_id + 1}").json["typing"] == []


def test_unknown_keys_are_ignored(app: Any, deps: Deps) -> None:
    admin = _setup_admin(app, deps)
    assert admin.get("/api/changes?key=leases&key=ticket:x&key=all").json == {"marks": {"all": 0}}


def test_polls_do_not_keep_an_idle_session_alive_nor_end_it(deps: Deps) -> None:
    """The poll is the page's doing, not the agent's: a tab left open still signs out when idle, and the poll that
    finds the session over leaves it for the agent's own next request (which keeps a reply typed into it)."""
    app = create_app(ConsoleDeps(deps, admin_auth=SecretAuth(SECRET), secret_key="test", session_idle_seconds=1.0))
    client = _with_secret(app)
    answers = []
    for _ in range(3):
        time.sleep(0.45)
        answers.append(client.get("/api/changes?key=all").status_code)
    assert answers == [200, 200, 401]
    ended = client.get("/tickets")
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/sign-in")
    assert "Your session has ended" in client.get(ended.headers["Location"]).get_data(as_text=True)
