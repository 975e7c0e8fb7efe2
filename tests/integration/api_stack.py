"""The REST API served over HTTP on a real store (`store`: SQLite and the Firestore emulator), with an admin, an
agent and a token each, for tests that drive it with an HTTP client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from gmail_tickets.adapters.inline_jobs import InlineJobs
from gmail_tickets.adapters.local_blobs import FileBlobs
from gmail_tickets.adapters.local_secrets import FileSecrets
from gmail_tickets.adapters.system_clock import SystemClock
from gmail_tickets.domain.model import Brand, SupportAddress
from gmail_tickets.domain.people import Agent, Role
from gmail_tickets.domain.ticket_token import TicketTokens
from gmail_tickets.ports import Mailbox, Store
from gmail_tickets.services import api_tokens
from gmail_tickets.services.deps import Deps
from gmail_tickets.settings import Settings
from gmail_tickets.web.api import create_api_app
from gmail_tickets.web.server import serve_app

HELP = "help@acme.test"
ADMIN = Agent(email="amy@acme.test", name="Amy", role=Role.ADMIN, created_at=datetime(2024, 1, 1, tzinfo=UTC))
AGENT = Agent(email="ana@acme.test", name="Ana", role=Role.AGENT, signature="Ana, Acme",
              created_at=datetime(2024, 1, 1, tzinfo=UTC))


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any]]] = []

    def publish(self, topic: str, data: dict[str, Any]) -> None:
        self.published.append((topic, data))


def _no_mailbox(address: str) -> Mailbox:
    raise AssertionError(f"the API must not touch Gmail itself ({address}): mail goes through the outbox")


@dataclass
class ServedApi:
    url: str
    deps: Deps
    admin_token: str
    agent_token: str

    def client(self, token: str | None = None) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.agent_token if token is None else token}"
        return session

    def at(self, path: str) -> str:
        return f"{self.url}/api/v1{path}"


def make_deps(store: Store, tmp_path: Path, **settings: Any) -> Deps:
    return Deps(store=store, mailbox_for=_no_mailbox, publisher=RecordingPublisher(),
                secrets=FileSecrets(tmp_path / "secrets.json"), clock=SystemClock(),
                blobs=FileBlobs(tmp_path / "blobs"), tokens=TicketTokens(b"k" * 32), jobs=InlineJobs(),
                settings=Settings(**settings))


@pytest.fixture
def served_api(store: Store, tmp_path: Path) -> Iterator[ServedApi]:
    deps = make_deps(store, tmp_path)
    store.save_brand(Brand("default", "Acme Support"))
    store.save_support_address(SupportAddress(HELP, "default", is_default=True))
    for agent in (ADMIN, AGENT):
        store.save_agent(agent)
    admin_secret, _ = api_tokens.create(deps, ADMIN, "admin script")
    agent_secret, _ = api_tokens.create(deps, AGENT, "crm sync")
    url, stop = serve_app(create_api_app(deps, requests_per_minute=100_000))
    try:
        yield ServedApi(url, deps, admin_secret, agent_secret)
    finally:
        stop()
