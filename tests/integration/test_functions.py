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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devstack.emulators import free_port
from devstack.relay_server import RelayServer
from gmail_tickets import bootstrap, secret_names
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.domain.mailbox_check import MailboxCursor, shard_message
from gmail_tickets.domain.outbox import NotificationState
from gmail_tickets.services.connect import connect_mailbox
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.sweep import republish_notifications

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


def test_a_rate_limit_with_a_long_retry_after_is_retried_not_quarantined(sim, product, ingest_url: str) -> None:
    deps, _ = product
    sim.deliver(SUPPORT, b"From: a@customer.example\r\nSubject: Limited\r\nMessage-ID: <x6@c>\r\n\r\nSoon.")
    # RetryLater (a 429 asking for ten minutes) frees the instance at once and answers an error: Pub/Sub retries.
    sim.inject_faults(429, 1, method="history.list", address=SUPPORT, retry_after=600)
    body, headers = pubsub_event(json.dumps({"emailAddress": SUPPORT, "source": "sweep"}).encode())
    assert _post(ingest_url, body, headers) == 500
    assert deps.store.list_quarantine() == [] and deps.store.list_tickets() == []
    assert _post(ingest_url, body, headers) == 200
    assert [t.subject for t in deps.store.list_tickets()] == ["Limited"]


def test_sweep_is_an_http_function(product, tmp_path: Path) -> None:
    process, url = _serve("sweep", "http", {**product[1], "GT_PUBLISHER": "local"}, tmp_path / "sweep.log")
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=30) as response:
            answer = json.load(response)
    finally:
        process.terminate()
        process.wait(10)
    assert answer["requested"] == 1 and answer["shards"] == 1 and answer["finished"] is True
    assert answer["errors"] == {}



def test_sweep_shard_is_a_cloud_event_function(sim, product, tmp_path: Path) -> None:
    """A shard from the sweep: each mailbox looked at with one history.list, the shard acked."""
    deps, env = product
    connection = deps.store.get_connection(SUPPORT)
    assert connection is not None and connection.history_id is not None and connection.last_sync_at is not None
    shard = json.dumps(shard_message([MailboxCursor.of(connection)]))
    process, url = _serve("sweep_shard", "cloudevent", {**env, "GT_PUBLISHER": "local"}, tmp_path / "shard.log")
    try:
        sim.reset_counters(SUPPORT)
        assert _post(url, *pubsub_event(shard.encode())) == 200
        assert _post(url, *pubsub_event(b'{"mailboxes": "not a list"}')) == 200  # quarantined, not retried
    finally:
        process.terminate()
        process.wait(10)
    assert sim.counters(SUPPORT)["methods"]["history.list"]["calls"] == 1
    assert len(deps.store.list_quarantine()) == 1


@pytest.fixture
def send_url(product, tmp_path: Path) -> Iterator[tuple[str, RelayServer]]:
    """`send` served with a real SMTP relay (STARTTLS + AUTH) configured the way a deployment does: GT_RELAY_*."""
    deps, env = product
    with RelayServer(tmp_path / "relay") as relay:
        deps.secrets.put(secret_names.RELAY_PASSWORD, relay.password)
        process, url = _serve("send", "cloudevent", {**env, **relay.env()}, tmp_path / "send.log")
        yield url, relay
        process.terminate()
        process.wait(10)


def test_send_function_delivers_each_notification_once(sim, product, ingest_url: str,
                                                       send_url: tuple[str, RelayServer]) -> None:
    deps, _ = product
    url, relay = send_url
    sim.deliver(SUPPORT, b"From: a@customer.example\r\nSubject: Ack me\r\nMessage-ID: <x3@c>\r\n\r\nHello.")
    body, headers = pubsub_event(json.dumps({"emailAddress": SUPPORT, "source": "sweep"}).encode())
    assert _post(ingest_url, body, headers) == 200
    [ack] = deps.store.list_notifications()

    event, headers = pubsub_event(json.dumps({"notification": ack.id}).encode())
    assert [_post(url, event, headers) for _ in range(3)] == [200, 200, 200]  # at least once in, once out

    sent = sim.messages(SUPPORT, f"rfc822msgid:{ack.message_id}")
    assert len(sent) == 1 and "SENT" in sent[0]["labelIds"]
    assert deps.store.get_notification(ack.id).route == "gmail"  # type: ignore[union-attr]

    deps.store.atomically(lambda uow: _turn_off_gmail(uow))
    sim.deliver(SUPPORT, b"From: b@customer.example\r\nSubject: Via relay\r\nMessage-ID: <x4@c>\r\n\r\nHi.")
    assert _post(ingest_url, body, headers) == 200
    relayed = next(n for n in deps.store.list_notifications() if n.id != ack.id)
    event, headers = pubsub_event(json.dumps({"notification": relayed.id}).encode())
    assert _post(url, event, headers) == 200
    assert relay.message_ids() == {relayed.message_id: 1}


def _turn_off_gmail(uow) -> None:  # type: ignore[no-untyped-def]
    connection = uow.get_connection(SUPPORT)
    connection.send_via_gmail = False
    uow.put_connection(connection)


def test_send_function_acks_while_the_relay_is_down_and_the_sweep_brings_it_back(
        product, send_url: tuple[str, RelayServer], sim, ingest_url: str) -> None:
    deps, _ = product
    url, relay = send_url
    deps.store.atomically(lambda uow: _turn_off_gmail(uow))
    sim.deliver(SUPPORT, b"From: c@customer.example\r\nSubject: Down\r\nMessage-ID: <x5@c>\r\n\r\nHi.")
    body, headers = pubsub_event(json.dumps({"emailAddress": SUPPORT, "source": "sweep"}).encode())
    assert _post(ingest_url, body, headers) == 200
    [note] = deps.store.list_notifications()
    relay.stop()
    event, headers = pubsub_event(json.dumps({"notification": note.id}).encode())
    assert _post(url, event, headers) == 200  # acked: the record waits for its next attempt, nothing spins
    retrying = deps.store.get_notification(note.id)
    assert retrying is not None and retrying.state == NotificationState.RETRYING and retrying.next_attempt_at
    assert _post(url, event, headers) == 200 and deps.store.get_notification(note.id) == retrying  # not due yet
    relay.start()
    assert republish_notifications(deps) == []
    deps.store.atomically(lambda uow: _make_due(uow, note.id))  # its next attempt time comes
    assert republish_notifications(deps) == [note.id]  # the sweep publishes it; Pub/Sub delivers it
    assert _post(url, event, headers) == 200
    assert relay.message_ids() == {note.message_id: 1}
    assert deps.store.get_notification(note.id).state == NotificationState.SENT  # type: ignore[union-attr]


def _make_due(uow, notification_id: str) -> None:  # type: ignore[no-untyped-def]
    record = uow.get_notification(notification_id)
    record.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    uow.put_notification(record)


def test_malformed_outbound_events_are_quarantined(product, send_url: tuple[str, RelayServer]) -> None:
    deps, _ = product
    event, headers = pubsub_event(b'{"something": "else"}')
    assert _post(send_url[0], event, headers) == 200
    assert "notification id" in deps.store.list_quarantine()[0].reason


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


NESTED = b'{"emailAddress": "support@example.com", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
MALFORMED_DATA = [
    pytest.param(b'{"emailAddress": "support@example.com", "historyId": Infinity}', id="historyId Infinity"),
    pytest.param(b'{"emailAddress": "support@example.com", "historyId": NaN}', id="historyId NaN"),
    pytest.param(b'{"emailAddress": "support@example.com", "historyId": 1e400}', id="historyId 1e400"),
    pytest.param(b'{"emailAddress": "support@example.com", "historyId": 1e30}', id="historyId above 2^64"),
    pytest.param(b'{"emailAddress": "support@example.com", "historyId": "' + b"9" * 4000 + b'"}', id="huge digits"),
    pytest.param(b'{"emailAddress": "support@example.com", "historyId": [1]}', id="historyId a list"),
    pytest.param(b'{"emailAddress": "support@example.com", "historyId": true}', id="historyId a bool"),
    pytest.param(b'{"emailAddress": {"a": 1}}', id="emailAddress an object"),
    pytest.param(b'{"emailAddress": "support@example.com", "source": ["sweep"]}', id="source a list"),
    pytest.param(NESTED, id="deeply nested"),
    pytest.param(b"[" * 100_000, id="deeply nested, unclosed"),
]


@pytest.mark.parametrize("data", MALFORMED_DATA)
def test_malformed_gmail_notifications_are_quarantined_with_their_bytes_and_acked(
        product, ingest_url: str, data: bytes) -> None:
    deps, _ = product
    body, headers = pubsub_event(data)
    assert [_post(ingest_url, body, headers) for _ in range(2)] == [200, 200]
    [record] = deps.store.list_quarantine()
    assert record.source == "event" and record.raw == data


MALFORMED_ENVELOPES = [
    pytest.param({"message": "not an object"}, id="message is text"),
    pytest.param({"message": {"data": 5}}, id="data is a number"),
    pytest.param({"message": {"data": ["x"]}}, id="data is a list"),
    pytest.param([1, 2], id="envelope is a list"),
    pytest.param({"message": {"data": _b64(b"{}")}, "n": float("inf")}, id="Infinity beside the message"),
    pytest.param(b'{"message": {"data": 1}, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", id="deeply nested"),
]


@pytest.mark.parametrize("envelope", MALFORMED_ENVELOPES)
def test_malformed_envelopes_are_quarantined_and_acked(product, ingest_url: str,
                                                       send_url: tuple[str, RelayServer], envelope: object) -> None:
    deps, _ = product
    _, headers = pubsub_event(b"{}")
    body = envelope if isinstance(envelope, bytes) else json.dumps(envelope).encode()
    assert [_post(url, body, headers) for url in (ingest_url, send_url[0])] == [200, 200]
    assert deps.store.list_quarantine(), "quarantined"


@pytest.mark.parametrize("data", [
    pytest.param(b'{"notification": Infinity}', id="Infinity"),
    pytest.param(b'{"notification": 1e400}', id="1e400"),
    pytest.param(b'{"notification": {"id": "x"}}', id="an object"),
    pytest.param(b'{"notification": "' + b"n" * 5000 + b'"}', id="huge id"),
    pytest.param(b'{"notification": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", id="deeply nested"),
])
def test_malformed_outbound_events_are_quarantined_with_their_bytes_and_acked(
        product, send_url: tuple[str, RelayServer], data: bytes) -> None:
    deps, _ = product
    event, headers = pubsub_event(data)
    assert [_post(send_url[0], event, headers) for _ in range(2)] == [200, 200]
    [record] = deps.store.list_quarantine()
    assert record.raw == data
