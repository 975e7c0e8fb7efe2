"""Google's own Firestore and Pub/Sub emulators, started as java processes we own; and a Cloud Storage one.

Why java directly and not `gcloud emulators ... start`: it is up in about a second instead of four, and
killing gcloud can leave the java child behind. We keep the java pid, so stop() always ends what we started, and an
atexit hook (plus, on Linux, a parent-death signal) makes sure no emulator outlives the Python process.

    python -m devstack.emulators            # start both, print their env vars, run until Ctrl-C

Google ships no Cloud Storage emulator: start_gcs() runs gcp-storage-emulator (PyPI) in a Python process of
ours, the same way, with one bug of its multipart uploads fixed (see serve_gcs).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import email.message
import email.parser
import glob
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

DEFAULT_PROJECT = "demo-local"
_SDK_CANDIDATES = ("/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk", "/opt/google-cloud-sdk")
_FIRESTORE_MAIN = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"


class EmulatorError(RuntimeError):
    """An emulator could not be found or did not come up."""


# --------------------------------------------------------------------------- locating the emulators


def sdk_root() -> Path:
    """The google-cloud-cli install holding `platform/` (CLOUDSDK_ROOT_DIR wins, then the usual places)."""
    candidates: list[str] = []
    if os.environ.get("CLOUDSDK_ROOT_DIR"):
        candidates.append(os.environ["CLOUDSDK_ROOT_DIR"])
    candidates.extend(_SDK_CANDIDATES)
    gcloud = shutil.which("gcloud")
    if gcloud:
        candidates.append(str(Path(gcloud).resolve().parent.parent))
    for candidate in candidates:
        if (Path(candidate) / "platform").is_dir():
            return Path(candidate)
    looked = ", ".join(candidates)
    raise EmulatorError(f"google-cloud-cli not found (looked in {looked}); set CLOUDSDK_ROOT_DIR")


def java_binary() -> str:
    java = os.environ.get("JAVA") or shutil.which("java")
    if not java:
        raise EmulatorError("no java on PATH: the emulators need a Java runtime (openjdk-17-jre-headless)")
    return java


def firestore_command(port: int, host: str = "127.0.0.1") -> list[str]:
    jar = sdk_root() / "platform" / "cloud-firestore-emulator" / "cloud-firestore-emulator.jar"
    if not jar.is_file():
        raise EmulatorError(f"Firestore emulator jar missing: {jar}")
    return [java_binary(), "-Duser.language=en", "-cp", str(jar), _FIRESTORE_MAIN,
            "start", f"--host={host}", f"--port={port}"]


def pubsub_command(port: int, host: str = "127.0.0.1") -> list[str]:
    lib = sdk_root() / "platform" / "pubsub-emulator" / "lib"
    jars = sorted(glob.glob(str(lib / "cloud-pubsub-emulator-*-all.jar")))
    if not jars:
        raise EmulatorError("Pub/Sub emulator jar missing under platform/pubsub-emulator/lib")
    return [java_binary(), "-jar", jars[-1], f"--host={host}", f"--port={port}"]


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the emulator may still lose a race for it: start() retries)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- one running emulator

_live: set[Emulator] = set()
_live_lock = threading.Lock()


@dataclass(eq=False)
class Emulator:
    """A running emulator: `host` is "127.0.0.1:PORT", what *_EMULATOR_HOST wants."""

    name: str
    host: str
    process: subprocess.Popen[bytes]
    log: BinaryIO  # its output: an already-unlinked temp file (nothing to clean up, ever), or the log_path given
    startup_seconds: float
    log_start: int = 0  # where this process's output begins in a log file shared with earlier runs
    _stopped: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def is_running(self) -> bool:
        return self.process.poll() is None

    def log_text(self, last_bytes: int = 1 << 16) -> str:
        """The end of what the emulator printed (read through our handle: the file has no name)."""
        try:
            fd = self.log.fileno()
            size = os.fstat(fd).st_size
            start = max(self.log_start, size - last_bytes)
            return os.pread(fd, size - start, start).decode(errors="replace")
        except (OSError, ValueError):
            return ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """End the java process (TERM, then KILL) and reap it. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        with _live_lock:
            _live.discard(self)
        if self.process.poll() is None:
            _signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.process, signal.SIGKILL)
                self.process.wait(timeout)
        self.log.close()

    def kill(self) -> None:
        """SIGKILL its whole process group at once (a crash, not a shutdown; a child its leader left behind
        too), then reap it."""
        _signal_group(self.process, signal.SIGKILL)
        self.stop()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # The child leads its own process group (start_new_session), so this reaches only what we started.
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
    except OSError:
        with contextlib.suppress(OSError):
            process.send_signal(sig)


def _stop_all() -> None:
    with _live_lock:
        running = list(_live)
    for emulator in running:
        with contextlib.suppress(Exception):
            emulator.stop(timeout=5)


atexit.register(_stop_all)


def _parent_death_prefix(thread_bound: bool = False) -> list[str]:
    """On Linux: ask the kernel to SIGTERM the emulator when its parent dies, so even os._exit (pytest-timeout)
    or a SIGKILL of Python leaves no java behind. Only from the main thread (the signal follows the creating
    thread, and a worker thread ending would otherwise take the emulator with it), unless `thread_bound`: the
    caller is a thread that lives exactly as long as the process should (a supervisor of one instance).

    Done by util-linux's `setpriv --pdeathsig` in front of the command, not by a preexec_fn: a preexec_fn makes
    Python fork() and run code in the child, and a fork() runs gRPC's fork handlers (this process talks to the
    emulators through gRPC); with gRPC threads busy the child died before exec ("epoll_wait error: Bad file
    descriptor", SIGABRT), an instance that did not start. Without a preexec_fn Python spawns by vfork, which
    runs no fork handlers. Where setpriv is missing the process simply has no parent-death signal."""
    on_main = threading.current_thread() is threading.main_thread()
    setpriv = shutil.which("setpriv")
    if not sys.platform.startswith("linux") or not (on_main or thread_bound) or setpriv is None:
        return []
    return [setpriv, "--pdeathsig", "TERM", "--"]


def is_ready(host: str, timeout: float = 0.5) -> bool:
    """True when `GET http://host/` answers "Ok" (both emulators' readiness check)."""
    try:
        with urllib.request.urlopen(f"http://{host}/", timeout=timeout) as response:
            return bool(response.status == 200 and response.read().strip() == b"Ok")
    except (OSError, urllib.error.URLError):
        return False


def launch(name: str, command_for: Callable[[int], list[str]], port: int | None, timeout: float,
           ready: Callable[..., bool] = is_ready, *, env: dict[str, str] | None = None,
           log_path: Path | None = None, thread_bound: bool = False) -> Emulator:
    """Start any local server of ours (an emulator, a functions-framework instance) in its own process group;
    returns once `ready(host)`. `env`: its environment (ours by default); `log_path`: append its output there
    (else to an unlinked temp file); `thread_bound`: see _parent_death_prefix."""
    attempts = 1 if port is not None else 3
    last_log = ""
    for _ in range(attempts):
        chosen = port if port is not None else free_port()
        host = f"127.0.0.1:{chosen}"
        if ready(host, timeout=0.2):
            if port is not None:
                raise EmulatorError(f"something already answers on {host}")
            continue
        if log_path is None:
            log_fd, log_name = tempfile.mkstemp(prefix=f"{name}-emulator-", suffix=".log")
            log_reader = open(log_name, "rb")  # noqa: SIM115 - the Emulator owns it until stop()
            os.unlink(log_name)  # gone from /tmp at once; the java process and we keep our handles
        else:
            log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            log_reader = open(log_path, "rb")  # noqa: SIM115 - the Emulator owns it until stop()
        log_start = os.fstat(log_fd).st_size
        started = time.monotonic()
        with os.fdopen(log_fd, "wb") as log:
            process = subprocess.Popen(
                [*_parent_death_prefix(thread_bound), *command_for(chosen)],
                stdin=subprocess.DEVNULL,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        emulator = Emulator(name, host, process, log_reader, 0.0, log_start)
        with _live_lock:
            _live.add(emulator)
        deadline = started + timeout
        port_lost = False
        while time.monotonic() < deadline:
            # Firestore's emulator exits when its port is taken; Pub/Sub's logs a BindException and lingers.
            text = emulator.log_text()
            port_lost = "BindException" in text or "Address already in use" in text
            if process.poll() is not None or port_lost:
                break
            if ready(host):
                emulator.startup_seconds = time.monotonic() - started
                return emulator
            time.sleep(0.05)
        last_log = emulator.log_tail()
        failed_early = process.poll() is not None or port_lost
        emulator.stop()
        if not failed_early:
            raise EmulatorError(f"{name} emulator not ready on {host} after {timeout:.0f}s:\n{last_log}")
        why = f"port {chosen} is taken" if port_lost else f"exit code {process.returncode}"
        last_log = f"({why}) {last_log}"
    raise EmulatorError(f"{name} emulator did not start: {last_log}")


def start_firestore(port: int | None = None, *, timeout: float = 60.0, log_path: Path | None = None) -> Emulator:
    """Start Google's Firestore emulator on 127.0.0.1 (a free port unless given); returns once it answers."""
    return launch("firestore", firestore_command, port, timeout, log_path=log_path)


def start_pubsub(port: int | None = None, *, timeout: float = 60.0, log_path: Path | None = None) -> Emulator:
    """Start Google's Pub/Sub emulator on 127.0.0.1 (a free port unless given); returns once it answers."""
    return launch("pubsub", pubsub_command, port, timeout, log_path=log_path)


def wipe_firestore(host: str, project: str) -> None:
    """Delete every document of the emulator's default database for `project` (its reset endpoint)."""
    url = f"http://{host}/emulator/v1/projects/{project}/databases/(default)/documents"
    request = urllib.request.Request(url, method="DELETE")
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status != 200:
            raise EmulatorError(f"wiping Firestore emulator failed: HTTP {response.status}")


# --------------------------------------------------------------------------- Cloud Storage (gcp-storage-emulator)

_REPO_ROOT = Path(__file__).resolve().parents[1]


def gcs_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """This Python running serve_gcs(): in memory, quiet (its debug log would list every request)."""
    if importlib.util.find_spec("gcp_storage_emulator") is None:
        raise EmulatorError("gcp-storage-emulator is not installed in this Python (pip install it, see pyproject)")
    boot = (f"import sys; sys.path.insert(0, {str(_REPO_ROOT)!r}); "
            "from devstack.emulators import serve_gcs; serve_gcs()")
    return [sys.executable, "-c", boot, "start", f"--host={host}", f"--port={port}", "--in-memory", "--quiet"]


def gcs_is_ready(host: str, timeout: float = 0.5) -> bool:
    """True when `GET http://host/` answers "OK" (the Cloud Storage emulator's health check)."""
    try:
        with urllib.request.urlopen(f"http://{host}/", timeout=timeout) as response:
            return bool(response.status == 200 and response.read().strip() == b"OK")
    except (OSError, urllib.error.URLError):
        return False


def start_gcs(port: int | None = None, *, timeout: float = 30.0, log_path: Path | None = None) -> Emulator:
    """Start a Cloud Storage emulator on 127.0.0.1 (a free port unless given); returns once it answers.

    Point google-cloud-storage at it with gmail_tickets.adapters.gcs_blobs.emulator_client(emulator.host, ...)
    (or STORAGE_EMULATOR_HOST=emulator.url). It keeps everything in memory: stop() forgets every bucket."""
    return launch("gcs", gcs_command, port, timeout, ready=gcs_is_ready, log_path=log_path)


def wipe_gcs(host: str) -> None:
    """Forget every bucket and object of the Cloud Storage emulator at `host` (its reset endpoint)."""
    with urllib.request.urlopen(f"http://{host}/wipe", timeout=30) as response:
        if response.status != 200:
            raise EmulatorError(f"wiping Cloud Storage emulator failed: HTTP {response.status}")


def serve_gcs(argv: Sequence[str] | None = None) -> None:
    """Run gcp-storage-emulator's CLI in this process, after fixing how it reads multipart uploads.

    It parses them with the email package, which treats a part typed message/* or multipart/* as mail to
    parse, not bytes to store: uploading raw mail as message/rfc822 (what this project stores) then crashes
    the request, and the client retries until its deadline. The fix reads such uploads as the byte layout
    google-cloud-storage sends and leaves every other request to the emulator's own code."""
    from gcp_storage_emulator import server
    from gcp_storage_emulator.__main__ import main as emulator_main

    original = server._read_data

    def read_data(handler: Any, query: dict[str, list[str]]) -> Any:
        content_type = handler.headers.get("Content-Type") or ""
        if not content_type.lower().startswith("multipart/related"):
            return original(handler, query)
        body = server._decode_raw_data(server._read_raw_data(handler), handler)
        return split_multipart_upload(content_type, body) if body else None

    server._read_data = read_data
    emulator_main(list(sys.argv[1:] if argv is None else argv))


def split_multipart_upload(content_type: str, body: bytes) -> dict[str, Any]:
    """A multipart/related upload body as the emulator's handlers want it: the JSON metadata of the first
    part, the second part's bytes exactly as sent, and that part's content type as given."""
    header = email.message.Message()
    header["Content-Type"] = content_type
    boundary = header.get_boundary()
    if not boundary:
        raise ValueError("multipart upload without a boundary")
    parts: list[tuple[email.message.Message, bytes]] = []
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        # A part is CRLF, headers, CRLF CRLF, bytes; the CRLF before the next delimiter belongs to the delimiter.
        chunk = chunk.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, _, data = chunk.partition(b"\r\n\r\n")
        parts.append((email.parser.BytesHeaderParser().parsebytes(head + b"\r\n\r\n"), data))
    if len(parts) != 2:
        raise ValueError(f"multipart upload with {len(parts)} parts, expected metadata and media")
    (_, meta), (media_headers, media) = parts
    return {"meta": json.loads(meta), "content": media,
            "content-type": media_headers.get("Content-Type", "application/octet-stream")}


# --------------------------------------------------------------------------- both, for the demo --cloud mode


@dataclass
class CloudEmulators:
    """Firestore and Pub/Sub emulators started together, with the env vars that point clients at them."""

    firestore: Emulator
    pubsub: Emulator
    project: str

    def env(self) -> dict[str, str]:
        """FIRESTORE_EMULATOR_HOST, PUBSUB_EMULATOR_HOST and GOOGLE_CLOUD_PROJECT for clients of these."""
        return {
            "FIRESTORE_EMULATOR_HOST": self.firestore.host,
            "PUBSUB_EMULATOR_HOST": self.pubsub.host,
            "GOOGLE_CLOUD_PROJECT": self.project,
        }

    def export_lines(self) -> list[str]:
        return [f"export {key}={value}" for key, value in self.env().items()]

    def stop(self) -> None:
        self.firestore.stop()
        self.pubsub.stop()

    def __enter__(self) -> CloudEmulators:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def start_cloud_emulators(project: str = DEFAULT_PROJECT, *, timeout: float = 60.0) -> CloudEmulators:
    """Start both emulators (about 2 s together). Put `.env()` into os.environ yourself if wanted.

    One after the other, not in parallel: on a small machine the two JVMs compete for the CPU and parallel
    start is no faster, and starting from the calling thread keeps the parent-death hook for both."""
    firestore = start_firestore(timeout=timeout)
    try:
        pubsub = start_pubsub(timeout=timeout)
    except BaseException:
        firestore.stop()
        raise
    return CloudEmulators(firestore, pubsub, project)


def main(argv: Sequence[str] | None = None) -> int:
    """Start both emulators, print `export ...` lines for a shell, and run until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m devstack.emulators", description=main.__doc__)
    parser.add_argument("--project", default=DEFAULT_PROJECT)
    args = parser.parse_args(argv)
    emulators = start_cloud_emulators(args.project)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        print("\n".join(emulators.export_lines()), flush=True)
        print(f"# firestore up in {emulators.firestore.startup_seconds:.1f}s, "
              f"pubsub up in {emulators.pubsub.startup_seconds:.1f}s; Ctrl-C stops both", file=sys.stderr)
        while not stop.wait(1.0):
            for emulator in (emulators.firestore, emulators.pubsub):
                if not emulator.is_running():
                    print(f"# {emulator.name} emulator exited:\n{emulator.log_tail()}", file=sys.stderr)
                    return 1
        return 0
    finally:
        emulators.stop()


if __name__ == "__main__":
    raise SystemExit(main())
