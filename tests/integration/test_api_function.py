"""The `api` function served by functions-framework, as the cloud runs it (SQLite behind it here): the REST API
answers only with a valid API token, a ticket made through it is read back through it, and the OpenAPI document
is served without one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devstack.emulators import free_port
from gmail_tickets import bootstrap
from gmail_tickets.domain.model import SupportAddress
from gmail_tickets.domain.people import Agent, Role
from gmail_tickets.services import api_tokens

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(url, token) of the api function on a fresh SQLite store with one admin and a support address."""
    state = tmp_path_factory.mktemp("api")
    env = {**os.environ, "GT_STORE": "sqlite", "GT_SQLITE_PATH": str(state / "store.sqlite"),
           "GT_BLOBS_DIR": str(state / "blobs"), "GT_SECRETS_FILE": str(state / "secrets.json"),
           "GT_PUBLISHER": "local"}
    deps = bootstrap.build(bootstrap.Config.from_env(env))
    admin = Agent(email="amy@acme.test", name="Amy", role=Role.ADMIN)
    deps.store.save_agent(admin)
    deps.store.save_support_address(SupportAddress("help@acme.test", is_default=True))
    secret, _ = api_tokens.create(deps, admin, "test")
    port = free_port()
    log = state / "api.log"
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("functions-framework")), "--source", str(REPO / "functions" / "main.py"),
         "--target", "api", "--signature-type", "http", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/favicon.ico", timeout=0.2)
            except urllib.error.HTTPError:
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                time.sleep(0.05)
        yield url, secret
    finally:
        process.terminate()
        process.wait(10)


def test_the_api_function_needs_a_token(api: tuple[str, str]) -> None:
    url, _ = api
    answer = requests.get(f"{url}/api/v1/tickets", timeout=30)
    assert answer.status_code == 401 and answer.headers["Content-Type"] == "application/problem+json"
    assert requests.get(f"{url}/api/v1/openapi.json", timeout=30).json()["openapi"] == "3.1.0"


def test_a_ticket_made_through_the_function_is_read_back(api: tuple[str, str]) -> None:
    url, secret = api
    auth = {"Authorization": f"Bearer {secret}"}
    made = requests.post(f"{url}/api/v1/tickets", headers=auth, timeout=30,
                         json={"requester": "ann@customer.test", "subject": "Printer", "body": "It smokes."})
    assert made.status_code == 201, made.text
    read = requests.get(f"{url}{made.headers['Location']}", headers=auth, timeout=30)
    assert read.json()["subject"] == "Printer" and read.json()["support_address"] == "help@acme.test"
