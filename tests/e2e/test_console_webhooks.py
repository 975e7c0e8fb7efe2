"""The Webhooks console page through Flask's test client (SQLite and Firestore): an admin adds an endpoint and sees
its secret once, reads its delivery log and redelivers; a bad address is refused; an agent is refused every
webhook page (also walked by test_console_roles.py); the page speaks German."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from gmail_tickets import bootstrap
from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.ticket_fields import Priority
from gmail_tickets.domain.ticket_lifecycle import FieldChanges
from gmail_tickets.domain.webhooks import DeliveryState
from gmail_tickets.ports import Store
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.ticket_changes import update_ticket
from gmail_tickets.web import ConsoleDeps, create_app
from gmail_tickets.web.auth import SecretAuth

SECRET = "s3cret-admin"


@pytest.fixture
def deps(store: Store, tmp_path: Path) -> Deps:
    config = bootstrap.Config(secrets_file=str(tmp_path / "secrets.json"), blobs_dir=str(tmp_path / "blobs"))
    return bootstrap.build(config, store=store)


@pytest.fixture
def admin(deps: Deps) -> Any:
    app = create_app(ConsoleDeps(deps, admin_auth=SecretAuth(SECRET), secret_key="test"))
    client = app.test_client()
    client.post("/sign-in", data={"secret": SECRET, "csrf_token": _csrf(client, "/sign-in")})
    return client


def _csrf(client: Any, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found is not None, path
    return found.group(1)


def test_an_admin_adds_a_webhook_sees_the_secret_once_and_redelivers(admin: Any, deps: Deps, store: Store) -> None:
    form = {"url": "https://hooks.example.com/in", "events": ["ticket.updated", "comment.created"],
            "csrf_token": _csrf(admin, "/webhooks")}
    page = admin.post("/webhooks", data=form).get_data(as_text=True)
    (endpoint,) = store.list_webhook_endpoints()
    assert endpoint.events == ("ticket.updated", "comment.created")
    assert f'value="{endpoint.secret}"' in page and endpoint.secret.startswith("whsec_")
    assert endpoint.secret not in admin.get("/webhooks").get_data(as_text=True)  # shown once

    ticket_id = store.atomically(lambda uow: uow.add_ticket(Ticket("Printer", "ann@c.test", "help@acme.test")))
    deps.publisher = type("Quiet", (), {"publish": lambda self, topic, data: None})()
    update_ticket(deps, ticket_id, FieldChanges(priority=Priority.HIGH), actor="Ana", version=None)
    (delivery,) = store.webhook_deliveries(endpoint.id)
    log = admin.get(f"/webhooks/{endpoint.id}").get_data(as_text=True)
    assert delivery.event_id in log and "ticket.updated" in log
    answer = admin.post(f"/webhooks/{endpoint.id}/deliveries/{delivery.id}/redeliver",
                        data={"csrf_token": _csrf(admin, f"/webhooks/{endpoint.id}")})
    assert answer.status_code == 302
    again = store.get_webhook_delivery(delivery.id)
    assert again is not None and again.redelivered == 1 and again.state == DeliveryState.QUEUED

    answer = admin.post(f"/webhooks/{endpoint.id}/delete", data={"csrf_token": _csrf(admin, "/webhooks")})
    assert answer.status_code == 302 and store.list_webhook_endpoints() == []
    assert [e.action for e in store.list_audit()][:2] == ["webhook removed", "webhook added"]


def test_a_bad_address_or_no_event_is_refused(admin: Any, store: Store) -> None:
    bad = admin.post("/webhooks", data={"url": "ftp://x.example.com/", "events": ["ticket.created"],
                                        "csrf_token": _csrf(admin, "/webhooks")})
    assert bad.status_code == 400 and "http:// or https://" in bad.get_data(as_text=True)
    none = admin.post("/webhooks", data={"url": "https://x.example.com/", "csrf_token": _csrf(admin, "/webhooks")})
    assert none.status_code == 400 and store.list_webhook_endpoints() == []


def test_the_page_speaks_german(admin: Any) -> None:
    page = admin.get("/webhooks", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Webhook hinzufügen" in page and "Ereignisse" in page
