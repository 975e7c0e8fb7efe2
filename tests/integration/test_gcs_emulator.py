"""The Cloud Storage emulator and GcsBlobs' own concerns, which the shared contract suite cannot see.

The emulator: starts, answers, stops with nothing left behind, and the session fixture starts it only when a
test asks. GcsBlobs: keeps content types, creates no bucket, and turns platform trouble into TransientError
after the library's own retry. Platform trouble is served by a tiny local HTTP server that answers what each
test scripts (503, 429, ...), so the real client and its retry run against it.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.api_core import exceptions as gexc
from google.api_core.retry import Retry
from google.cloud import storage
from google.cloud.storage._media._upload import construct_multipart_request
from google.cloud.storage.retry import DEFAULT_RETRY

from devstack.emulators import (
    EmulatorError,
    free_port,
    gcs_is_ready,
    split_multipart_upload,
    start_gcs,
)
from gmail_tickets.adapters.gcs_blobs import GcsBlobs, emulator_client
from gmail_tickets.errors import TransientError
from tests.processes import gone

pytestmark = pytest.mark.gcs

REPO = Path(__file__).resolve().parents[2]
RAW_MAIL = b"From: ann@customer.test\r\nSubject: Printer on fire\r\n\r\nIt smokes.\r\n"
QUICK_RETRY = DEFAULT_RETRY.with_delay(initial=0.01, maximum=0.05).with_timeout(1.0)




# --------------------------------------------------------------------------- the emulator itself


def test_emulator_starts_answers_and_stops_without_leftovers() -> None:
    emulator = start_gcs()
    try:
        assert emulator.host.startswith("127.0.0.1:")
        assert emulator.is_running()
        assert gcs_is_ready(emulator.host)
        assert emulator.startup_seconds < 10
        client = emulator_client(emulator.host, "demo-test")
        client.create_bucket("leftover-check")
        assert [b.name for b in client.list_buckets()] == ["leftover-check"]
    finally:
        emulator.stop()

    assert not emulator.is_running()
    assert gone(emulator.pid)
    assert not gcs_is_ready(emulator.host)
    emulator.stop()  # a second stop is harmless


def test_a_taken_port_fails_fast_with_the_emulator_log() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        began = time.monotonic()
        with pytest.raises(EmulatorError, match="did not start"):
            start_gcs(taken.getsockname()[1], timeout=10)
    assert time.monotonic() - began < 5  # noticed from the log, not by waiting out the timeout


def test_session_fixture_starts_only_when_asked_and_stops_at_session_end(tmp_path: Path) -> None:
    # A pytest run of its own, so "session end" really happens: a first test sees no emulator (merely loading
    # the fixtures starts none), a second uses one, and after the session's teardown, while that Python still
    # lives (so no parent-death signal can have done it), the emulator process is gone.
    report = tmp_path / "report.json"
    (tmp_path / "conftest.py").write_text(textwrap.dedent(f"""
        import json, os
        from pathlib import Path
        seen = {{}}

        def pytest_unconfigure(config):
            pid = seen.get("pid")
            alive = pid is not None and Path(f"/proc/{{pid}}").exists() and \\
                Path(f"/proc/{{pid}}/stat").read_text().split(")")[-1].split()[0] != "Z"
            Path({str(report)!r}).write_text(json.dumps({{**seen, "alive_at_end": alive}}))
    """))
    (tmp_path / "test_lazy.py").write_text(textwrap.dedent("""
        from devstack import emulators
        from conftest import seen

        def test_first_no_emulator_yet():
            seen["before"] = sorted(e.name for e in emulators._live)

        def test_second_uses_one(gcs_blobs, gcs_emulator):
            gcs_blobs.put("raw/c/1.eml", b"x")
            seen["pid"] = gcs_emulator.pid
            seen["during"] = sorted(e.name for e in emulators._live)
    """))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(tmp_path)])}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.fixtures.cloud",
         "--rootdir", str(tmp_path), str(tmp_path / "test_lazy.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr

    seen = json.loads(report.read_text())
    assert seen["before"] == []
    assert seen["during"] == ["gcs"]
    assert seen["alive_at_end"] is False
    assert gone(seen["pid"])


def test_multipart_uploads_are_split_exactly_as_the_client_sends_them() -> None:
    # The emulator's own parser mistakes message/* and multipart/* parts for mail; ours keeps the bytes.
    for data in [b"", b"\r\n", RAW_MAIL, b"--\r\n--x--\r\n", bytes(range(256))]:
        body, boundary = construct_multipart_request(data, {"name": "raw/c/1.eml"}, "message/rfc822")
        parsed = split_multipart_upload(f'multipart/related; boundary="{boundary.decode()}"', body)
        assert parsed == {"meta": {"name": "raw/c/1.eml"}, "content": data, "content-type": "message/rfc822"}


# --------------------------------------------------------------------------- GcsBlobs on the emulator


def test_the_content_type_is_stored_on_the_object(gcs_blobs: GcsBlobs) -> None:
    gcs_blobs.put("raw/c/1.eml", RAW_MAIL, "message/rfc822")
    gcs_blobs.put("attachments/" + "ab" * 32, b"%PDF-1.7", "application/pdf")
    gcs_blobs.put("attachments/" + "cd" * 32, b"\x00")

    def stored_type(key: str) -> str | None:
        blob = gcs_blobs.bucket.get_blob(key)
        assert blob is not None
        return blob.content_type

    assert stored_type("raw/c/1.eml") == "message/rfc822"
    assert stored_type("attachments/" + "ab" * 32) == "application/pdf"
    assert stored_type("attachments/" + "cd" * 32) == "application/octet-stream"


def test_no_bucket_is_ever_created(gcs_blobs: GcsBlobs, gcs_client: storage.Client) -> None:
    before = sorted(b.name for b in gcs_client.list_buckets())
    missing = GcsBlobs("not-made-by-terraform", client=gcs_client)

    with pytest.raises(gexc.NotFound):  # a deployment error, not a missing blob and not worth retrying
        missing.put("raw/c/1.eml", RAW_MAIL)
    with pytest.raises(KeyError):
        missing.get("raw/c/1.eml")
    assert not missing.exists("raw/c/1.eml")

    assert sorted(b.name for b in gcs_client.list_buckets()) == before


def test_blob_bytes_reach_no_log(gcs_blobs: GcsBlobs, caplog: pytest.LogCaptureFixture) -> None:
    secret = b"Password: hunter2-" + os.urandom(8).hex().encode()
    caplog.set_level(logging.DEBUG)

    gcs_blobs.put("raw/c/1.eml", secret, "message/rfc822")
    assert gcs_blobs.get("raw/c/1.eml") == secret

    assert secret.decode() not in caplog.text
    assert "hunter2" not in caplog.text


# --------------------------------------------------------------------------- platform trouble, scripted


class _Stub(http.server.ThreadingHTTPServer):
    """Answers each request with the next scripted status (the last one repeats), recording what came."""

    daemon_threads = True

    def __init__(self, script: list[int]) -> None:
        super().__init__(("127.0.0.1", 0), _StubHandler)
        self.script = list(script)
        self.seen: list[str] = []
        self.lock = threading.Lock()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def next_status(self, request: str) -> int:
        with self.lock:
            self.seen.append(request)
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]


class _StubHandler(http.server.BaseHTTPRequestHandler):
    server: _Stub

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?")[0]
        if self.command == "GET" and path == "/storage/v1/b/b":
            # The client's own background look-up of the bucket (for its tracing attributes), once per client:
            # answered, but neither scripted nor counted, so the scripts speak of object requests only.
            status = 200
        else:
            status = self.server.next_status(f"{self.command} {path}")
        if status >= 400:
            body = json.dumps({"error": {"code": status, "message": "scripted"}}).encode()
        else:
            body = json.dumps({"name": "raw/c/1.eml", "bucket": "b", "contentType": "message/rfc822"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def _stub_server(script: list[int]) -> Iterator[_Stub]:
    """A running _Stub for the `with` block, shut down and closed after it."""
    stub = _Stub(script)
    thread = threading.Thread(target=stub.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        stub.shutdown()
        stub.server_close()
        thread.join(5)


def _blobs_at(host: str, retry: Retry | None = None) -> GcsBlobs:
    return GcsBlobs("b", client=emulator_client(host, "demo-test"), retry=retry, timeout=5)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 408])
def test_platform_hiccups_become_transient_errors(status: int) -> None:
    with _stub_server([status]) as stub:
        blobs = _blobs_at(stub.host)
        for call in (lambda: blobs.put("raw/c/1.eml", RAW_MAIL), lambda: blobs.get("raw/c/1.eml"),
                     lambda: blobs.exists("raw/c/1.eml"), lambda: blobs.delete("raw/c/1.eml")):
            with pytest.raises(TransientError) as caught:
                call()
            assert b"It smokes" not in str(caught.value).encode()


def test_no_server_at_all_is_transient_too() -> None:
    blobs = _blobs_at(f"127.0.0.1:{free_port()}")
    with pytest.raises(TransientError):
        blobs.put("raw/c/1.eml", RAW_MAIL)
    with pytest.raises(TransientError):
        blobs.get("raw/c/1.eml")


def test_the_library_retry_cures_a_hiccup_and_its_end_is_transient() -> None:
    with _stub_server([503, 503, 200]) as stub:
        assert _blobs_at(stub.host, QUICK_RETRY).exists("raw/c/1.eml")
        assert len(stub.seen) == 3
    with _stub_server([503, 200]) as stub:
        _blobs_at(stub.host, QUICK_RETRY).put("raw/c/1.eml", RAW_MAIL, "message/rfc822")
        assert [r.split()[0] for r in stub.seen] == ["POST", "POST"]  # the upload was sent again
    with _stub_server([503, 200]) as stub:
        _blobs_at(stub.host, QUICK_RETRY).delete("raw/c/1.eml")
        assert len(stub.seen) == 2
    with _stub_server([503]) as stub:
        began = time.monotonic()
        with pytest.raises(TransientError, match="RetryError"):
            _blobs_at(stub.host, QUICK_RETRY).get("raw/c/1.eml")
        assert len(stub.seen) > 1
        assert time.monotonic() - began < 5


@pytest.mark.parametrize(("status", "error"), [(403, gexc.Forbidden), (400, gexc.BadRequest)])
def test_refusals_are_not_transient(status: int, error: type[Exception]) -> None:
    with _stub_server([status]) as stub:
        blobs = _blobs_at(stub.host, QUICK_RETRY)
        with pytest.raises(error):
            blobs.put("raw/c/1.eml", RAW_MAIL)
        with pytest.raises(error):
            blobs.get("raw/c/1.eml")
        assert len(stub.seen) == 2  # refused once each, not retried
