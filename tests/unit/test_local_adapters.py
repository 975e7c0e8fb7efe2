"""The embedded stack's own adapters: the in-process publisher, the secrets file, JSON logs."""

import io
import json
import logging
import stat
import threading
from pathlib import Path

from gmail_tickets import logs
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.adapters.local_secrets import FileSecrets


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
