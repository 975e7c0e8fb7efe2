"""`gmail-tickets serve` as a user runs it: a subprocess configured by GT_* variables, a mailbox connected
beforehand into the same store and secrets file, and no push — the sweep's sync is how mail becomes a ticket."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devstack.gmail_sim import GmailSimulator, SimServer
from gmail_tickets import bootstrap
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.adapters.local_secrets import FileSecrets
from gmail_tickets.adapters.sqlite_store import SqliteStore
from gmail_tickets.services.connect import connect_mailbox
from gmail_tickets.web import auth
from tests.fixtures.sim import SUPPORT, make_mail


class Served:
    """The running `serve` process and the lines it printed to stderr (read in a thread: it never ends)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, needle: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((line for line in self.lines if needle in line), None)
            if found:
                return found
            assert self.process.poll() is None, "\n".join(self.lines[-30:])
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} not printed:\n" + "\n".join(self.lines[-30:]))


@pytest.fixture
def env(sim: GmailSimulator, sim_server: SimServer, tmp_path: Path) -> dict[str, str]:
    """GT_* configuration pointing at the simulator, with SUPPORT connected in the store it names."""
    credentials = sim.add_mailbox(SUPPORT)
    base = sim_server.url.rstrip("/")
    values = {
        "GT_SQLITE_PATH": str(tmp_path / "gt.sqlite"), "GT_SECRETS_FILE": str(tmp_path / "secrets.json"),
        "GT_BLOBS_DIR": str(tmp_path / "blobs"), "GT_GMAIL_ROOT_URL": sim_server.url,
        "GT_TOKEN_URI": base + "/token", "GT_OAUTH_AUTH_URI": base + "/o/oauth2/v2/auth",
        "GT_OAUTH_REVOKE_URI": base + "/revoke", "GT_OAUTH_CLIENT_ID": credentials.client_id,
        "GT_OAUTH_CLIENT_SECRET": credentials.client_secret,
    }
    deps = bootstrap.build(bootstrap.Config.from_env(values), publisher=LocalPublisher())
    deps.secrets.put("oauth-client-secret", credentials.client_secret)
    connect_mailbox(deps, SUPPORT, credentials.refresh_token, watch=False)
    return values


@pytest.fixture
def served(env: dict[str, str]) -> Iterator[Served]:
    cli = Path(sys.executable).with_name("gmail-tickets")
    process = subprocess.Popen(
        [str(cli), "serve", "--console-port", "0", "--sweep-interval", "1"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    running = Served(process)
    try:
        yield running
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)


def test_serve_turns_new_mail_into_a_ticket_through_the_sweep_and_serves_the_console(
        env: dict[str, str], sim: GmailSimulator, served: Served) -> None:
    console = served.wait_for_line("console: http://127.0.0.1:")
    url = console.split()[1]
    secret = FileSecrets(env["GT_SECRETS_FILE"]).get(auth.ADMIN_SECRET)
    assert secret and console.endswith(f"admin secret: {secret}")  # printed once, when created
    setup = served.wait_for_line("setup: ").split()[1]  # the one-time link that makes the first admin
    assert setup.startswith(url + "/setup/")

    gmail_id = sim.deliver(SUPPORT, make_mail(subject="Printer on fire"))
    store = SqliteStore(env["GT_SQLITE_PATH"])
    deadline = time.monotonic() + 15
    while not store.ledger_contains(SUPPORT, [gmail_id]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert store.ledger_contains(SUPPORT, [gmail_id]) == {gmail_id}, "\n".join(served.lines[-30:])
    assert [t.subject for t in store.list_tickets(limit=10)] == ["Printer on fire"]

    page = requests.get(url + "/tickets", timeout=10)  # anonymous: sent to the sign-in page
    assert page.status_code == 200 and "/sign-in" in page.url
    assert 'name="secret"' in page.text
    page = requests.get(setup, timeout=10)
    assert page.status_code == 200 and "Set up the first admin" in page.text

    logged = [json.loads(line) for line in served.lines if line.startswith("{")]
    assert any(entry["message"] == "serving" and entry["connections"] == [SUPPORT] for entry in logged)

    served.process.terminate()  # SIGTERM, as a service manager stops it
    assert served.process.wait(10) == 0
