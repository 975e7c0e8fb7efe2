"""The embedded stack's own adapters: the in-process publisher, the secrets file, JSON logs."""

import io
import json
import logging
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

from gmail_tickets import logs
from gmail_tickets.adapters.fair_queue import Coalesce, ordering_key
from gmail_tickets.adapters.local_publisher import LocalPublisher, Pool
from gmail_tickets.adapters.local_secrets import FileSecrets
from gmail_tickets.errors import ComeBackLater, RateLimited


def test_publisher_delivers_each_message_to_each_subscriber() -> None:
    got: list[dict] = []
    publisher = LocalPublisher(workers=2)
    publisher.subscribe("t", lambda data: got.append(json.loads(data)))
    publisher.start()
    try:
        for n in range(20):
            publisher.publish("t", {"n": n})
        assert publisher.drain(5)
    finally:
        publisher.stop()
    assert sorted(m["n"] for m in got) == list(range(20))


def test_publisher_redelivers_after_a_failure_then_dead_letters() -> None:
    attempts: list[int] = []
    lock = threading.Lock()

    def flaky(data: bytes) -> None:
        with lock:
            attempts.append(1)
            if len(attempts) < 3:
                raise RuntimeError("transient")

    def always_fails(data: bytes) -> None:
        raise ValueError("poison")

    publisher = LocalPublisher(workers=1, max_attempts=3, backoff_seconds=0.01)
    publisher.subscribe("flaky", flaky)
    publisher.subscribe("bad", always_fails)
    publisher.start()
    try:
        publisher.publish("flaky", {})
        publisher.publish("bad", {"x": 1})
        assert publisher.drain(5)
    finally:
        publisher.stop()
    assert len(attempts) == 3  # failed twice, succeeded on the third delivery
    assert [(topic, json.loads(data)) for topic, data, _ in publisher.dead_letters] == [("bad", {"x": 1})]


def test_secrets_file_is_private_and_round_trips(tmp_path: Path) -> None:
    secrets = FileSecrets(tmp_path / "state" / "secrets.json")
    assert secrets.get("a") is None
    secrets.put("a", "token-1")
    secrets.put("b", "token-2")
    secrets.delete("a")
    assert (secrets.get("a"), secrets.get("b")) == (None, "token-2")
    mode = stat.S_IMODE((tmp_path / "state" / "secrets.json").stat().st_mode)
    assert mode == 0o600


def test_logs_are_json_lines_with_extras() -> None:
    stream = io.StringIO()
    logs.configure("INFO", stream)
    logging.getLogger("gmail_tickets.test").info("mail recorded", extra={"connection": "a@b.c", "ticket_id": 7})
    line = json.loads(stream.getvalue().strip())
    assert line["message"] == "mail recorded"
    assert (line["severity"], line["connection"], line["ticket_id"]) == ("INFO", "a@b.c", 7)


# --------------------------------------------------------------------------- pools, timers, fair order


class _Clock:
    """Monotonic seconds a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_a_blocked_send_handler_does_not_delay_ingest() -> None:
    release = threading.Event()
    sending: list[int] = []
    ingested: list[int] = []

    def slow_send(data: bytes) -> None:
        sending.append(json.loads(data)["n"])
        release.wait(10)

    publisher = LocalPublisher(workers=1, pools=(Pool("ingest", 1, ("sync",)), Pool("send", 1, ("out",))))
    publisher.subscribe("out", slow_send)
    publisher.subscribe("sync", lambda data: ingested.append(json.loads(data)["n"]))
    publisher.start()
    try:
        for n in range(3):
            publisher.publish("out", {"n": n})
        assert _wait_until(lambda: sending == [0])  # the only send worker is held
        for n in range(5):
            publisher.publish("sync", {"n": n})
        assert _wait_until(lambda: len(ingested) == 5)
        assert sending == [0]  # ingest went through while the send was still blocked
        release.set()
        assert publisher.drain(5)
    finally:
        release.set()
        publisher.stop()
    assert sorted(sending) == [0, 1, 2]


def test_a_retry_later_frees_its_worker_and_comes_back_after_its_delay() -> None:
    clock = _Clock()
    calls: list[str] = []

    def handler(data: bytes) -> None:
        name = json.loads(data)["name"]
        calls.append(name)
        if name == "limited" and calls.count("limited") == 1:
            raise RateLimited("429", retry_after=30.0)

    publisher = LocalPublisher(workers=1, clock=clock)
    publisher.subscribe("t", handler)
    publisher.start()
    try:
        publisher.publish("t", {"name": "limited"})
        assert _wait_until(lambda: calls == ["limited"])
        publisher.publish("t", {"name": "other"})
        assert _wait_until(lambda: calls == ["limited", "other"])  # the one worker was free for it
        clock.now += 29.0
        publisher.wake()
        publisher.publish("t", {"name": "marker"})  # handled after the wake: the timer had its chance to fire
        assert _wait_until(lambda: calls[-1] == "marker")
        assert calls.count("limited") == 1  # not due yet
        clock.now += 1.0
        publisher.wake()
        assert _wait_until(lambda: calls.count("limited") == 2)
        assert publisher.drain(5)
    finally:
        publisher.stop()
    assert publisher.dead_letters == []


def test_coming_back_to_a_busy_lease_uses_up_no_attempt() -> None:
    """An event watching a live holder's lease comes back once per lease for as long as the holder works: a wait,
    not a failure, so it is never dead-lettered for it (a real failure still is, after max_attempts)."""
    calls: list[int] = []

    def watching(data: bytes) -> None:
        calls.append(1)
        if len(calls) <= 5:
            raise ComeBackLater("busy", retry_after=0.001)

    publisher = LocalPublisher(workers=1, max_attempts=2, backoff_seconds=0.001)
    publisher.subscribe("t", watching)
    publisher.start()
    try:
        publisher.publish("t", {})
        assert publisher.drain(5)
    finally:
        publisher.stop()
    assert (len(calls), publisher.dead_letters) == (6, [])


def test_mailboxes_take_turns_when_one_has_a_backlog() -> None:
    gate = threading.Event()
    order: list[str] = []

    def handler(data: bytes) -> None:
        body = json.loads(data)
        order.append(f"{body['emailAddress'][0]}{body['n']}")
        if len(order) == 1:
            gate.wait(10)

    publisher = LocalPublisher(workers=1)
    publisher.subscribe("sync", handler)
    publisher.start()
    try:
        publisher.publish("sync", {"emailAddress": "a@x.test", "n": 0})
        assert _wait_until(lambda: order == ["a0"])  # the worker is held while the backlog builds
        for n in range(1, 5):
            publisher.publish("sync", {"emailAddress": "a@x.test", "n": n})
        for n in range(2):
            publisher.publish("sync", {"emailAddress": "B@x.test", "n": n})
        gate.set()
        assert publisher.drain(5)
    finally:
        gate.set()
        publisher.stop()
    assert order == ["a0", "a1", "B0", "a2", "B1", "a3", "a4"]


def test_ordering_key_is_the_mailbox_named_in_the_event() -> None:
    assert ordering_key(b'{"emailAddress": "Support@X.test", "historyId": "7"}') == "support@x.test"
    assert ordering_key(b'{"notification": "n-1"}') == ""
    assert ordering_key(b"not json") == ordering_key(b"[1]") == ""


def _coalescing(workers: int) -> LocalPublisher:
    def newest(waiting: bytes, new: bytes) -> bytes | None:
        return new if json.loads(new)["n"] > json.loads(waiting)["n"] else waiting

    return LocalPublisher(workers=1, pools=(Pool("ingest", workers, ("sync", "push", "shard"),
                                                 Coalesce(frozenset({"sync", "push"}), newest)),))


def test_requests_for_a_mailbox_during_its_sync_become_one_more_sync() -> None:
    """N pushes while a mailbox syncs: at most one more sync (it reads from the cursor, so it covers them all),
    and the other mailboxes are not held back meanwhile."""
    gate = threading.Event()
    handled: list[str] = []

    def handler(data: bytes) -> None:
        body = json.loads(data)
        handled.append(f"{body['emailAddress'][0]}{body['n']}")
        if handled == ["a0"]:
            gate.wait(10)

    publisher = _coalescing(workers=2)
    for topic in ("sync", "push"):
        publisher.subscribe(topic, handler)
    publisher.start()
    try:
        publisher.publish("push", {"emailAddress": "a@x.test", "n": 0})
        assert _wait_until(lambda: handled == ["a0"])  # a's sync is running
        for n in range(1, 11):
            publisher.publish("push" if n % 2 else "sync", {"emailAddress": "a@x.test", "n": n})
        publisher.publish("push", {"emailAddress": "b@x.test", "n": 0})
        assert _wait_until(lambda: "b0" in handled)  # the second worker: not a's follow-up, b's sync
        assert handled == ["a0", "b0"]
        gate.set()
        assert publisher.drain(5)
    finally:
        gate.set()
        publisher.stop()
    assert handled == ["a0", "b0", "a10"]  # one follow-up for a, carrying what the merge kept
    assert publisher.merged == 9


def test_a_mailbox_is_handled_by_one_worker_at_a_time_and_shards_are_not_coalesced() -> None:
    running: dict[str, int] = {}
    most: dict[str, int] = {}
    lock = threading.Lock()

    def handler(data: bytes) -> None:
        key = json.loads(data).get("emailAddress", "shard")
        with lock:
            running[key] = running.get(key, 0) + 1
            most[key] = max(most.get(key, 0), running[key])
        time.sleep(0.01)
        with lock:
            running[key] -= 1

    publisher = _coalescing(workers=4)
    for topic in ("sync", "push", "shard"):
        publisher.subscribe(topic, handler)
    publisher.start()
    try:
        for n in range(30):
            publisher.publish("sync", {"emailAddress": f"{'ab'[n % 2]}@x.test", "n": n})
            publisher.publish("shard", {"mailboxes": [], "n": n})  # names no mailbox: never merged, never queued
        assert publisher.drain(10)
    finally:
        publisher.stop()
    assert most["a@x.test"] == most["b@x.test"] == 1
    assert most["shard"] > 1  # shards run side by side
