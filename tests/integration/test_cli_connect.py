"""`gmail-tickets connect` against the real simulator: the test is the browser (GET Google's page, POST the
account form, follow the 302 to the loopback redirect) and the command runs in a thread as a user runs it."""

from __future__ import annotations

import contextlib
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from devstack.gmail_sim import GmailSimulator, SimServer
from gmail_tickets.adapters.sqlite_store import SqliteStore
from gmail_tickets.cli import main
from gmail_tickets.domain.model import Connection
from tests.fixtures.sim import SUPPORT, make_mail

OTHER = "someone.else@gmail.com"


class Stream(io.StringIO):
    """Captures what the command prints, and lets the browser thread wait for the sign-in address."""

    def wait_for_url(self, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.getvalue().splitlines():
                if line.startswith("http"):
                    return line.strip()
            time.sleep(0.02)
        raise AssertionError(f"no sign-in address printed: {self.getvalue()!r}")


@dataclass
class Run:
    out: Stream = field(default_factory=Stream)
    err: Stream = field(default_factory=Stream)
    code: int | None = None
    thread: threading.Thread | None = None

    def join(self, timeout: float = 20.0) -> int:
        assert self.thread is not None
        self.thread.join(timeout)
        assert not self.thread.is_alive(), self.err.getvalue()
        assert self.code is not None
        return self.code

    def result(self) -> dict[str, object]:
        return json.loads(self.out.getvalue().strip().splitlines()[-1])


@pytest.fixture
def env(sim: GmailSimulator, sim_server: SimServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    sim.add_mailbox(SUPPORT)
    sim.add_mailbox(OTHER)
    base = sim_server.url.rstrip("/")
    values = {
        "GT_SQLITE_PATH": str(tmp_path / "gt.sqlite"), "GT_SECRETS_FILE": str(tmp_path / "secrets.json"),
        "GT_BLOBS_DIR": str(tmp_path / "blobs"), "GT_GMAIL_ROOT_URL": sim_server.url,
        "GT_TOKEN_URI": base + "/token", "GT_OAUTH_AUTH_URI": base + "/o/oauth2/v2/auth",
        "GT_OAUTH_REVOKE_URI": base + "/revoke", "GT_OAUTH_CLIENT_ID": sim.config.client_id,
        "GT_OAUTH_CLIENT_SECRET": sim.config.client_secret,
    }
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)  # the command reads its configuration from the environment
    return values


@pytest.fixture
def connect() -> Iterator[Callable[..., Run]]:
    """Start `gmail-tickets connect ...` in a thread, its output captured."""
    runs: list[Run] = []

    def start(*args: str) -> Run:
        run = Run()

        def target() -> None:
            with contextlib.redirect_stdout(run.out), contextlib.redirect_stderr(run.err):
                run.code = main(["connect", *args])

        run.thread = threading.Thread(target=target, daemon=True)
        run.thread.start()
        runs.append(run)
        return run

    yield start
    for run in runs:
        assert run.thread is not None
        run.thread.join(10)


def browser(run: Run, form: dict[str, str]) -> requests.Response:
    """What a person does: open the printed address, click on Google's page, land on the loopback page."""
    url = run.err.wait_for_url()
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "Choose an account" in page.text
    chosen = requests.post(url, data=form, allow_redirects=False, timeout=10)
    assert chosen.status_code == 302
    location = chosen.headers["Location"]
    assert location.startswith("http://127.0.0.1:")
    landed = requests.get(location, timeout=10)
    assert landed.status_code == 200 and "close this tab" in landed.text
    return landed


def connection(env: dict[str, str], address: str) -> Connection | None:
    return SqliteStore(env["GT_SQLITE_PATH"]).get_connection(address)


def test_connect_signs_in_through_the_loopback_and_imports_recent_mail(
        env: dict[str, str], sim: GmailSimulator, connect: Callable[..., Run]) -> None:
    delivered = [sim.deliver(SUPPORT, make_mail(subject=f"Broken {n}")) for n in range(3)]
    run = connect(SUPPORT, "--brand", "acme", "--no-browser")
    browser(run, {"account": SUPPORT})
    assert run.join() == 0, run.err.getvalue()
    result = run.result()
    assert {k: result[k] for k in ("address", "status", "brand", "imported", "import_total")} == {
        "address": SUPPORT, "status": "connected", "brand": "acme", "imported": 3, "import_total": 3}
    assert "imported 3/3" in run.err.getvalue()
    stored = connection(env, SUPPORT)
    assert stored is not None and stored.brand_id == "acme"
    store = SqliteStore(env["GT_SQLITE_PATH"])
    assert store.ledger_contains(SUPPORT, delivered) == set(delivered)
    assert len(store.list_tickets(limit=100)) == 3


def test_wrong_account_is_refused_with_exit_code_1(env: dict[str, str], connect: Callable[..., Run]) -> None:
    run = connect(SUPPORT, "--no-browser")
    browser(run, {"account": OTHER})
    assert run.join() == 1
    assert f"Google signed in {OTHER}, not {SUPPORT}" in run.err.getvalue()
    assert run.out.getvalue() == ""
    assert connection(env, SUPPORT) is None


def test_cancel_on_googles_page_is_a_clear_refusal(env: dict[str, str], connect: Callable[..., Run]) -> None:
    run = connect(SUPPORT, "--no-browser", "--no-import-recent")
    landed = browser(run, {"cancel": "1"})
    assert "cancelled" in landed.text
    assert run.join() == 1
    assert "Access was refused on Google's page" in run.err.getvalue()
    assert connection(env, SUPPORT) is None


def test_no_answer_from_the_browser_times_out(env: dict[str, str], connect: Callable[..., Run]) -> None:
    run = connect(SUPPORT, "--no-browser", "--timeout", "0.3")
    assert run.join() == 1
    assert "No answer from Google's page within 0.3 seconds" in run.err.getvalue()
    assert connection(env, SUPPORT) is None
