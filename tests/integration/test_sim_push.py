"""users.watch / users.stop and push notifications: pacing, coalescing, sinks, delay, drops, expiry."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from googleapiclient.errors import HttpError

from tests.fixtures.sim import SUPPORT, api_error, make_mail

TOPIC = "projects/demo-project/topics/gmail-push"


class Inbox:
    """Collects notifications from the callback sink."""

    def __init__(self) -> None:
        self.items: list[tuple[float, str, str]] = []
        self._cv = threading.Condition()

    def __call__(self, address: str, history_id: str) -> None:
        with self._cv:
            self.items.append((time.monotonic(), address, history_id))
            self._cv.notify_all()

    def wait(self, n: int, timeout: float = 5.0) -> list[tuple[float, str, str]]:
        with self._cv:
            self._cv.wait_for(lambda: len(self.items) >= n, timeout)
            return list(self.items)


@pytest.fixture
def pushes(sim) -> Inbox:
    inbox = Inbox()
    sim.set_push_callback(inbox)
    return inbox


def watch(gmail, **body):
    return gmail.users().watch(userId="me", body={"topicName": TOPIC, **body}).execute()


def test_watch_answers_history_id_and_expiration_in_7_days(sim, gmail):
    answer = watch(gmail, labelIds=["INBOX"], labelFilterBehavior="include")
    assert answer["historyId"] == sim.history_id(SUPPORT)
    expected = (sim.clock.now() + 7 * 86400) * 1000
    assert isinstance(answer["expiration"], str)
    assert abs(int(answer["expiration"]) - expected) < 5000


def test_watch_topic_name_must_look_like_a_topic(gmail):
    for topic in ("gmail-push", "projects/p/subscriptions/s", "projects//topics/t"):
        with pytest.raises(HttpError) as info:
            gmail.users().watch(userId="me", body={"topicName": topic}).execute()
        assert api_error(info.value)["code"] == 400


def test_changes_are_paced_to_one_per_second_and_coalesced(sim, gmail, pushes):
    watch(gmail)
    sim.deliver(SUPPORT, make_mail())
    first = pushes.wait(1)
    assert first[0][1:] == (SUPPORT, sim.history_id(SUPPORT))
    for _ in range(4):
        sim.deliver(SUPPORT, make_mail())
    newest = sim.history_id(SUPPORT)
    got = pushes.wait(2)
    time.sleep(0.3)  # nothing else may follow
    assert len(pushes.items) == 2
    assert got[1][2] == newest
    assert got[1][0] - got[0][0] >= 0.9 * sim.config.push_min_interval_s
    assert sim.push.stats["coalesced"] == 3


def test_notified_history_id_is_the_new_current_id(sim, gmail, pushes):
    start = watch(gmail)["historyId"]
    sim.deliver(SUPPORT, make_mail())
    _, _, notified = pushes.wait(1)[0]
    assert "history" not in gmail.users().history().list(userId="me", startHistoryId=notified).execute()
    assert len(gmail.users().history().list(userId="me", startHistoryId=start).execute()["history"]) == 1


def test_label_filter_does_not_stop_notifications_for_sent_mail(sim, gmail, pushes):
    watch(gmail, labelIds=["INBOX"], labelFilterBehavior="include")
    raw = base64.urlsafe_b64encode(make_mail(sender=SUPPORT, to="x@example.org")).decode()
    gmail.users().messages().send(userId="me", body={"raw": raw}).execute()
    assert pushes.wait(1)[0][2] == sim.history_id(SUPPORT)


def test_stop_ends_notifications(sim, gmail, pushes):
    watch(gmail)
    assert gmail.users().stop(userId="me").execute() == ""
    sim.deliver(SUPPORT, make_mail())
    time.sleep(0.2)
    assert pushes.items == []


def test_unwatched_and_expired_watches_are_silent(sim, gmail, pushes):
    sim.deliver(SUPPORT, make_mail())
    watch(gmail)
    sim.advance_clock(7 * 86400 + 1)
    sim.deliver(SUPPORT, make_mail())
    time.sleep(0.2)
    assert pushes.items == []


def test_drop_rate_and_delay(sim, gmail, pushes):
    sim.configure_push(drop_rate=1.0)
    watch(gmail)
    sim.deliver(SUPPORT, make_mail())
    time.sleep(0.2)
    assert pushes.items == [] and sim.push.stats["dropped"] == 1
    sim.configure_push(drop_rate=0.0, delay_s=0.3, min_interval_s=0.0)
    before = time.monotonic()
    sim.deliver(SUPPORT, make_mail())
    arrived = pushes.wait(1)[0][0]
    assert arrived - before >= 0.3


@pytest.fixture
def push_endpoint() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/push", received
    server.shutdown()
    server.server_close()


def test_http_push_body_is_a_pubsub_push_message(sim, gmail, push_endpoint):
    url, received = push_endpoint
    sim.configure_push(url=url, min_interval_s=0.2)
    watch(gmail)
    for n in (1, 2):
        sim.deliver(SUPPORT, make_mail())
        deadline = time.monotonic() + 5
        while len(received) < n and time.monotonic() < deadline:
            time.sleep(0.02)
    assert len(received) == 2
    body = received[-1]
    assert body["subscription"] == "projects/demo-project/subscriptions/gmail-sim-push"
    message = body["message"]
    assert message["messageId"] and message["publishTime"].endswith("Z")
    data = json.loads(base64.b64decode(message["data"]))
    assert data == {"emailAddress": SUPPORT, "historyId": sim.history_id(SUPPORT)}
