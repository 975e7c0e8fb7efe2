"""The `api` function served by functions-framework, as the cloud runs it, on SQLite and on the Firestore emulator
(the cloud's store): the REST API answers only with a valid API token, the OpenAPI document is served without
one, and a support flow runs through it — a retried create, the ticket found in a view and by search, a reply
and a note, solving with the version read, and a stale version refused."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devstack.emulators import free_port
from gmail_tickets.adapters.firestore_store import FirestoreStore
from gmail_tickets.adapters.sqlite_store import SqliteStore
from gmail_tickets.domain.model import SupportAddress
from gmail_tickets.domain.people import Agent, Role
from gmail_tickets.ports import Store
from gmail_tickets.services import api_tokens
from tests.fixtures.cloud import FIRESTORE_PROJECT
from tests.integration.api_stack import make_deps

REPO = Path(__file__).resolve().parents[2]
BOB = "bob@customer.test"  # the flow's customer: the other tests' tickets are Ann's
Api = tuple[str, str, Store]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("firestore", marks=pytest.mark.firestore)])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """(url, token, the store behind it) of the api function on a fresh store with one admin and a support address."""
    state = tmp_path_factory.mktemp("api")
    env = {**os.environ, "GT_BLOBS_DIR": str(state / "blobs"), "GT_SECRETS_FILE": str(state / "secrets.json"),
           "GT_PUBLISHER": "local"}
    store: Store
    if request.param == "sqlite":
        env |= {"GT_STORE": "sqlite", "GT_SQLITE_PATH": str(state / "store.sqlite")}
        store = SqliteStore(state / "store.sqlite")
    else:  # a prefix of its own on the session's emulator: no other test's data, and no wipe of theirs
        prefix = f"api{uuid.uuid4().hex[:8]}_"
        env |= {"GT_STORE": "firestore", "GT_FIRESTORE_PREFIX": prefix, "GOOGLE_CLOUD_PROJECT": FIRESTORE_PROJECT,
                "FIRESTORE_EMULATOR_HOST": request.getfixturevalue("firestore_emulator").host}
        store = FirestoreStore(request.getfixturevalue("firestore_client"), prefix)
    deps = make_deps(store, state)
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
        yield url, secret, store
    finally:
        process.terminate()
        process.wait(10)


def test_the_api_function_needs_a_token(api: Api) -> None:
    url, _, _ = api
    answer = requests.get(f"{url}/api/v1/tickets", timeout=30)
    assert answer.status_code == 401 and answer.headers["Content-Type"] == "application/problem+json"
    assert requests.get(f"{url}/api/v1/openapi.json", timeout=30).json()["openapi"] == "3.1.0"


def test_a_ticket_made_through_the_function_is_read_back(api: Api) -> None:
    url, secret, _ = api
    auth = {"Authorization": f"Bearer {secret}"}
    made = requests.post(f"{url}/api/v1/tickets", headers=auth, timeout=30,
                         json={"requester": "ann@customer.test", "subject": "Printer", "body": "It smokes."})
    assert made.status_code == 201, made.text
    read = requests.get(f"{url}{made.headers['Location']}", headers=auth, timeout=30)
    assert read.json()["subject"] == "Printer" and read.json()["support_address"] == "help@acme.test"


def test_a_support_flow_through_the_function(api: Api) -> None:
    url, secret, store = api
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {secret}"
    v1 = f"{url}/api/v1"
    request = {"requester": BOB, "subject": "Refund for order 8812", "body": "Please refund order 8812."}
    made = [http.post(f"{v1}/tickets", json=request, headers={"Idempotency-Key": "form-8812"}, timeout=30)
            for _ in range(2)]
    assert [m.status_code for m in made] == [201, 201] and made[1].headers["Idempotent-Replayed"] == "true"
    ticket = made[0].json()
    assert made[1].json()["id"] == ticket["id"]
    assert [t["id"] for t in http.get(f"{v1}/tickets", params={"view": "unassigned", "requester": BOB},
                                      timeout=30).json()["items"]] == [ticket["id"]]
    assert [t["id"] for t in http.get(f"{v1}/tickets/search", params={"q": "refund 8812"},
                                      timeout=30).json()["items"]] == [ticket["id"]]

    reply = http.post(f"{v1}/tickets/{ticket['id']}/comments", timeout=30,
                      json={"body": "Refunded: 3-5 days.", "status": "pending", "version": ticket["version"]})
    assert reply.status_code == 201, reply.text
    note = http.post(f"{v1}/tickets/{ticket['id']}/comments", json={"body": "Card refund.", "public": False},
                     timeout=30)
    assert note.status_code == 201, note.text
    mailed = [n.event for n in store.list_notifications(ticket_id=ticket["id"], limit=10)]
    assert len(mailed) == 2, mailed  # the acknowledgement and the reply; the note is not mailed

    read = http.get(f"{v1}/tickets/{ticket['id']}", timeout=30).json()
    solved = http.patch(f"{v1}/tickets/{ticket['id']}", json={"status": "solved", "version": read["version"]},
                        timeout=30)
    assert solved.status_code == 200 and solved.json()["status"] == "solved", solved.text
    stale = http.patch(f"{v1}/tickets/{ticket['id']}", json={"priority": "high", "version": read["version"]},
                       timeout=30)
    assert stale.status_code == 409 and stale.headers["Content-Type"] == "application/problem+json"
    comments = http.get(f"{v1}/tickets/{ticket['id']}/comments", timeout=30).json()["items"]
    assert [(c["author_kind"], c["public"]) for c in comments] == [("customer", True), ("agent", True),
                                                                   ("agent", False)]
