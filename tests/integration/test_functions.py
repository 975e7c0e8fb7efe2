"""functions/main.py served by functions-framework, receiving real CloudEvents over HTTP: what is acked (2xx),
what is retried (5xx), and that poison is quarantined rather than lost or retried forever."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.emulators import free_port
from gmail_tickets import bootstrap, secret_names
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.services.connect import connect_mailbox
from gmail_tickets.services.deps import Deps

REPO = Path(__file__).resolve().parents[2]
SUPPORT = "support@example.com"


def _serve(target: str, signature: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("functions-framework")), "--source", str(REPO / "functions" / "main.py"),
         "--target", target, "--signature-type", signature, "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=0.2)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            assert process.poll() is None, log.read_text()
            time.sleep(0.05)
    return process, url


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def pubsub_event(data: bytes | str) -> tuple[bytes, dict[str, str]]:
    """A binary-mode CloudEvent exactly as Eventarc delivers a Pub/Sub message to a gen2 function."""
    encoded = data if isinstance(data, str) else base64.b64encode(data).decode()
    body = {"message": {"data": encoded, "messageId": "1", "publishTime": "2026-11-28T00:00:00Z"},
            "subscription": "projects/demo-test/subscriptions/gmail-push"}
    headers = {
        "ce-id": str(time.monotonic_ns()), "ce-specversion": "1.0", "ce-source": "//pubsub.googleapis.com/",
        "ce-type": "google.cloud.pubsub.topic.v1.messagePublished", "Content-Type": "application/json",
    }
    return json.dumps(body).encode(), headers


@pytest.fixture
def product(sim, sim_server, tmp_path: Path) -> Iterator[tuple[Deps, dict[str, str]]]:
    """The product's state on disk, shared by the test (to arrange and check) and the served functions."""
    credentials = sim.add_mailbox(SUPPORT)
    env = {
        **os.environ,
        "GT_STORE": "sqlite",
        "GT_SQLITE_PATH": str(tmp_path / "store.sqlite"),
        "GT_BLOBS_DIR": str(tmp_path / "blobs"),
        "GT_SECRETS_FILE": str(tmp_path / "secrets.json"),
        "GT_GMAIL_ROOT_URL": sim_server.url,
        "GT_TOKEN_URI": sim_server.url.rstrip("/") + "/token",
        "GT_OAUTH_CLIENT_ID": credentials.client_id,
    }
    deps = bootstrap.build(bootstrap.Config.from_env(env), publisher=LocalPublisher())
    deps.secrets.put(secret_names.OAUTH_CLIENT_SECRET, credentials.client_secret)
    connect_mailbox(deps, SUPPORT, credentials.refresh_token, watch=False)
    yield deps, env


@pytest.fixture
def ingest_url(product, tmp_path: Path) -> Iterator[str]:
    process, url = _serve("ingest", "cloudevent", product[1], tmp_path / "ingest.log")
    yield url
    process.terminate()
    process.wait(10)


def test_gmail_notification_makes_tickets_and_is_acked(sim, product, ingest_url: str) -> None:
    deps, _ = product
    sim.deliver(SUPPORT, b"From: a@customer.example\r\nSubject: Broken\r\nMessage-ID: <x1@c>\r\n\r\nIt broke.")
    notification = {"emailAddress": SUPPORT, "historyId": sim.history_id(SUPPORT)}
    body, headers = pubsub_event(json.dumps(notification).encode())
    assert _post(ingest_url, body, headers) == 200
    assert _post(ingest_url, body, headers) == 200  # redelivered: acked again, nothing new
    assert [t.subject for t in deps.store.list_tickets()] == ["Broken"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [("%%% not base64 %%%", "not base64"), (base64.b64encode(b"{oops").decode(), "not JSON"),
     (base64.b64encode(b'{"historyId": "5"}').decode(), "no emailAddress")],
)
def test_poison_is_acked_and_quarantined(product, ingest_url: str, data: str, reason: str) -> None:
    deps, _ = product
    body, headers = pubsub_event(data)
    assert _post(ingest_url, body, headers) == 200
    assert _post(ingest_url, body, headers) == 200  # the same poison again: still one record
    records = deps.store.list_quarantine()
    assert len(records) == 1 and reason in records[0].reason and records[0].source == "event"


def test_unknown_mailbox_is_acked(product, ingest_url: str) -> None:
    body, headers = pubsub_event(json.dumps({"emailAddress": "nobody@example.com", "historyId": "1"}).encode())
    assert _post(ingest_url, body, headers) == 200


def test_transient_gmail_failure_asks_pubsub_to_retry(sim, product, ingest_url: str) -> None:
    deps, _ = product
    sim.deliver(SUPPORT, b"From: a@customer.example\r\nSubject: Later\r\nMessage-ID: <x2@c>\r\n\r\nSoon.")
    # Gmail asks us to come back in two minutes: the function must not sleep that long, it hands back to Pub/Sub.
    sim.inject_faults(503, 1, method="history.list", address=SUPPORT, retry_after=120)
    body, headers = pubsub_event(json.dumps({"emailAddress": SUPPORT, "source": "sweep"}).encode())
    assert _post(ingest_url, body, headers) == 500
    assert deps.store.list_tickets() == []
    assert _post(ingest_url, body, headers) == 200  # the redelivery succeeds
    assert [t.subject for t in deps.store.list_tickets()] == ["Later"]


def test_sweep_is_an_http_function(product, tmp_path: Path) -> None:
    process, url = _serve("sweep", "http", {**product[1], "GT_PUBLISHER": "local"}, tmp_path / "sweep.log")
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=30) as response:
            answer = json.load(response)
    finally:
        process.terminate()
        process.wait(10)
    assert answer["requested"] == [SUPPORT]
    assert answer["errors"] == {}

