"""The deployable archive: built twice it is the same bytes, and unpacked on its own — a fresh virtualenv, only its
requirements.txt installed, nothing of this repository importable — every entry point in it loads and answers
real requests under functions-framework, as Cloud Functions would run it (embedded store, secrets and blobs here,
since only the wiring of the archive is under test)."""

from __future__ import annotations

import ast
import base64
import gettext
import io
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack import bundle
from devstack.emulators import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

REPO = Path(__file__).resolve().parents[2]
SIGNATURES = {"cloud_event": "cloudevent", "http": "http"}
IAP_AUDIENCE = "/projects/123456/locations/europe-west1/services/admin"


def entry_points(source: Path = REPO / "functions" / "main.py") -> dict[str, str]:
    """{function name: signature type} of the functions decorated with functions_framework.cloud_event / .http."""
    found: dict[str, str] = {}
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            name = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(decorator, "id", "")
            if name in SIGNATURES:
                found[node.name] = SIGNATURES[name]
    return found


ENTRY_POINTS = entry_points()


def test_entry_points_are_found() -> None:
    assert {"ingest", "sweep", "admin"} <= set(ENTRY_POINTS)


def test_bundle_is_reproducible(tmp_path: Path) -> None:
    first = bundle.build(REPO, tmp_path / "a" / "function-source.zip")
    time.sleep(1.1)  # a timestamp that leaked into the archive would now differ
    second = bundle.build(REPO, tmp_path / "b" / "function-source.zip")
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256 == second.sha256 and first.size == second.size
    with zipfile.ZipFile(first.path) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        requirements = archive.read("requirements.txt").decode()
        mo = archive.read("gmail_tickets/translations/de/LC_MESSAGES/messages.mo")
    german = gettext.GNUTranslations(io.BytesIO(mo))
    assert german.gettext("Sign out") == "Abmelden"  # compiled from the .po in the build, never committed
    assert not [n for n in names if n.endswith(".po")]
    assert names == sorted(names)
    assert {"main.py", "requirements.txt", "gmail_tickets/__init__.py", "gmail_tickets/web/templates/base.html",
            "gmail_tickets/web/static/console.css"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or n.startswith(("tests/", "devstack/"))]
    assert {info.date_time for info in infos} == {bundle.ZIP_TIME}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}
    pins = [line for line in requirements.splitlines() if line and not line.startswith("#")]
    assert all("==" in pin for pin in pins)
    lock = bundle.read_lock(REPO / "requirements.lock")
    assert {"functions-framework", "grpcio", "google-cloud-firestore", "flask"} <= {
        name.lower() for name in (pin.split("==")[0] for pin in pins)}
    assert all(lock[bundle.canonicalize_name(pin.split("==")[0])][1] == pin.split("==")[1] for pin in pins)
    assert not {"pytest", "ruff", "hypothesis", "playwright"} & {pin.split("==")[0].lower() for pin in pins}


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(source folder, virtualenv): the archive unpacked, and its requirements installed in a fresh virtualenv."""
    root = tmp_path_factory.mktemp("bundle")
    built = bundle.build(REPO, root / "function-source.zip")
    source = root / "source"
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(source)
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r",
         str(source / "requirements.txt")],
        env=environ, capture_output=True, text=True, timeout=1000,
    )
    assert installed.returncode == 0, installed.stderr[-4000:]
    yield source, env_dir


def _served_env(state: Path) -> dict[str, str]:
    """Only what a function instance would have: no PYTHONPATH, nothing of this checkout."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(state), "LANG": "C.UTF-8",
        "GOOGLE_CLOUD_PROJECT": "demo-bundle",
        "GT_STORE": "sqlite", "GT_SQLITE_PATH": str(state / "store.sqlite"),
        "GT_SECRETS": "file", "GT_SECRETS_FILE": str(state / "secrets.json"),
        "GT_BLOBS": "local", "GT_BLOBS_DIR": str(state / "blobs"),
        "GT_PUBLISHER": "local", "GT_GMAIL_PUSH": "0",
        "GT_IAP_AUDIENCE": IAP_AUDIENCE, "GT_ADMIN_EMAILS": "ana@example.com",
    }


def test_the_package_comes_from_the_archive(unpacked: tuple[Path, Path], tmp_path: Path) -> None:
    source, env_dir = unpacked
    python = str(env_dir / "bin" / "python")
    found = subprocess.run([python, "-c", "import gmail_tickets; print(gmail_tickets.__file__)"],
                           cwd=source, env=_served_env(tmp_path), capture_output=True, text=True, check=True)
    assert Path(found.stdout.strip()).is_relative_to(source)
    absent = subprocess.run([python, "-c", "import gmail_tickets"], cwd=tmp_path,
                            env=_served_env(tmp_path), capture_output=True, text=True)
    assert absent.returncode != 0  # outside the archive's folder: this checkout is not on the path


def _request(url: str, method: str = "GET", body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _pubsub_event(data: bytes | str) -> tuple[bytes, dict[str, str]]:
    encoded = data if isinstance(data, str) else base64.b64encode(data).decode()
    body = {"message": {"data": encoded, "messageId": "1", "publishTime": "2026-11-28T00:00:00Z"},
            "subscription": "projects/demo-bundle/subscriptions/test"}
    headers = {"ce-id": str(time.monotonic_ns()), "ce-specversion": "1.0", "ce-source": "//pubsub.googleapis.com/",
               "ce-type": "google.cloud.pubsub.topic.v1.messagePublished", "Content-Type": "application/json"}
    return json.dumps(body).encode(), headers


@pytest.mark.parametrize("target", sorted(ENTRY_POINTS))
def test_entry_point_serves_from_the_archive(unpacked: tuple[Path, Path], tmp_path: Path, target: str) -> None:
    source, env_dir = unpacked
    signature = ENTRY_POINTS[target]
    port = free_port()
    log = tmp_path / f"{target}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(env_dir / "bin" / "functions-framework"), "--source", "main.py", "--target", target,
             "--signature-type", signature, "--host", "127.0.0.1", "--port", str(port)],
            cwd=source, env=_served_env(tmp_path), stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _request(url, "OPTIONS")
                break
            except OSError:
                assert process.poll() is None, f"{target} exited at start:\n{log.read_text()}"
                assert time.monotonic() < deadline, f"{target} did not answer:\n{log.read_text()}"
                time.sleep(0.1)
        if target == "ingest":
            body, headers = _pubsub_event(json.dumps({"emailAddress": "nobody@example.com", "historyId": "1"}))
            assert _request(url, "POST", body, headers)[0] == 200, log.read_text()
        elif target == "sweep":
            status, _, answer = _request(url, "POST")
            assert status == 200, log.read_text()
            assert json.loads(answer)["requested"] == 0
        elif target == "admin":
            status, headers, _ = _request(url)  # no IAP assertion: refused (or sent to sign in), never a crash
            assert status in (301, 302, 303, 307, 401, 403), (status, log.read_text())
        elif signature == "cloudevent":  # poison is quarantined and acked, never retried forever
            body, headers = _pubsub_event("%%% not base64 %%%")
            assert _request(url, "POST", body, headers)[0] < 500, log.read_text()
        # any other HTTP entry point: answering at all (above) and no import error (below) is what is checked
    finally:
        process.terminate()
        process.wait(10)
    text = log.read_text()
    assert "ImportError" not in text and "ModuleNotFoundError" not in text, text
