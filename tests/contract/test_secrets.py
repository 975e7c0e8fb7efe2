"""Contract: every Secrets adapter stores, replaces and forgets values the same way, and never logs them.

The tests taking `secrets` run once per adapter (the embedded 0600 file and Secret Manager on the local gRPC
server of devstack/secret_manager_server.py, through Google's own client) and speak only the port. The tests at the
end are Secret Manager's own: old versions destroyed, racing creators, retries, and the server's status codes.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.api_core import exceptions as gexc

from devstack.secret_manager_server import SecretManagerServer
from gmail_tickets import bootstrap, secret_names
from gmail_tickets.adapters.secret_manager import SecretManagerSecrets, default_retry, emulator_client
from gmail_tickets.errors import TransientError
from gmail_tickets.logs import JsonFormatter
from gmail_tickets.ports import Secrets

REPO = Path(__file__).resolve().parents[2]
ADDRESSES = ["support@example.com", "Billing.Team+eu@Example.CO.uk", "ünïcode@exämple.de", "a" * 80 + "@long.example"]


def test_missing_is_none(secrets: Secrets) -> None:
    assert secrets.get("never-stored") is None


def test_put_then_get(secrets: Secrets) -> None:
    secrets.put("relay-password", "hunter2")
    assert secrets.get("relay-password") == "hunter2"


def test_overwrite_keeps_only_the_latest(secrets: Secrets) -> None:
    for value in ("first", "second", "third"):
        secrets.put("oauth-client-secret", value)
    assert secrets.get("oauth-client-secret") == "third"


def test_names_are_independent(secrets: Secrets) -> None:
    secrets.put("one", "1")
    secrets.put("two", "2")
    secrets.delete("one")
    assert (secrets.get("one"), secrets.get("two")) == (None, "2")


def test_delete(secrets: Secrets) -> None:
    secrets.put("ticket-token-key", "k1")
    secrets.delete("ticket-token-key")
    assert secrets.get("ticket-token-key") is None
    secrets.put("ticket-token-key", "k2")  # and it can come back
    assert secrets.get("ticket-token-key") == "k2"


def test_delete_missing_is_fine(secrets: Secrets) -> None:
    secrets.delete("never-stored")
    secrets.delete("never-stored")
    assert secrets.get("never-stored") is None


def test_names_the_product_uses(secrets: Secrets) -> None:
    names = [secret_names.refresh_token(a) for a in ADDRESSES] + [
        secret_names.OAUTH_CLIENT_SECRET, secret_names.RELAY_PASSWORD, secret_names.TICKET_TOKEN_KEY,
        secret_names.OAUTH_STATE_KEY, secret_names.DOMAIN_VERIFICATION_KEY]
    assert len(set(names)) == len(names)
    for n, name in enumerate(names):
        secrets.put(name, f"value-{n}")
    assert [secrets.get(name) for name in names] == [f"value-{n}" for n in range(len(names))]


@pytest.mark.parametrize("value", [
    "pässwörd ✓ 日本語 🔑",
    "1//0gLx-refresh.token_with/odd+chars=",
    '{"json": "inside", "quote": "\\"", "newline": "\\n"}',
    "  leading and trailing whitespace, CR LF\r\n\t",
    "x" * 60_000,
    "日" * 20_000,  # 60,000 bytes of UTF-8: under Secret Manager's 64 KiB
], ids=["unicode", "token-chars", "json", "whitespace", "long-ascii", "long-unicode"])
def test_values_come_back_exactly(secrets: Secrets, value: str) -> None:
    secrets.put("exact", value)
    assert secrets.get("exact") == value


def test_concurrent_puts_last_writer_wins(secrets: Secrets) -> None:
    """Threads racing on one (new) name: no error, and the value is the last put of one of them (the last put
    to finish is some thread's last)."""
    threads, rounds = 6, 3
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def writer(t: int) -> None:
        try:
            barrier.wait()
            for r in range(rounds):
                secrets.put("contended", f"thread-{t}-round-{r}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    assert secrets.get("contended") in {f"thread-{t}-round-{rounds - 1}" for t in range(threads)}


def test_concurrent_puts_to_different_names_all_land(secrets: Secrets) -> None:
    names = [secret_names.refresh_token(f"user{n}@example.com") for n in range(8)]
    workers = [threading.Thread(target=secrets.put, args=(name, f"token-{n}")) for n, name in enumerate(names)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [secrets.get(name) for name in names] == [f"token-{n}" for n in range(len(names))]


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record at DEBUG, ours included (logs.configure() stops ours propagating to the root)."""
    ours = logging.getLogger("gmail_tickets")
    caplog.set_level(logging.DEBUG)
    ours.addHandler(caplog.handler)
    saved = ours.level
    ours.setLevel(logging.DEBUG)
    try:
        yield caplog
    finally:
        ours.removeHandler(caplog.handler)
        ours.setLevel(saved)


def test_values_never_logged(secrets: Secrets, all_logs: pytest.LogCaptureFixture) -> None:
    name = secret_names.refresh_token("support@example.com")
    values = ["1//refresh-token-SENTINEL-one", "1//refresh-token-SENTINEL-two"]
    for value in values:
        secrets.put(name, value)
        assert secrets.get(name) == value
    secrets.delete(name)
    formatter = JsonFormatter()
    text = "\n".join(formatter.format(record) for record in all_logs.records)
    assert "SENTINEL" not in text
    if isinstance(secrets, SecretManagerSecrets):
        assert name in text  # the adapter does log what it did, by name


# --------------------------------------------------------------------------- Secret Manager's own


needs_server = pytest.mark.secretmanager


def _versions(client: Any, adapter: SecretManagerSecrets, name: str) -> list[tuple[int, str]]:
    listing = client.list_secret_versions(request={"parent": f"projects/{adapter.project}/secrets/{name}"})
    return sorted((int(v.name.rsplit("/", 1)[1]), v.state.name) for v in listing)


@needs_server
def test_old_versions_are_destroyed(secret_manager_secrets: SecretManagerSecrets, secret_manager_client: Any) -> None:
    adapter = secret_manager_secrets
    for value in ("old-token", "older-token", "new-token"):
        adapter.put("gmail-token-x", value)
    assert _versions(secret_manager_client, adapter, "gmail-token-x") == [
        (1, "DESTROYED"), (2, "DESTROYED"), (3, "ENABLED")]
    with pytest.raises(gexc.FailedPrecondition):
        secret_manager_client.access_secret_version(
            request={"name": f"projects/{adapter.project}/secrets/gmail-token-x/versions/1"})
    secret = secret_manager_client.get_secret(request={"name": f"projects/{adapter.project}/secrets/gmail-token-x"})
    assert "automatic" in secret.replication


@needs_server
def test_racing_puts_leave_one_enabled_version(secret_manager_secrets: SecretManagerSecrets,
                                               secret_manager_client: Any) -> None:
    """Separate adapters (as separate instances would be) racing to create and fill one secret."""
    adapters = [SecretManagerSecrets(secret_manager_secrets.project, secret_manager_client) for _ in range(5)]
    barrier = threading.Barrier(len(adapters))
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for r in range(3):
                adapters[n].put("raced", f"{n}-{r}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(len(adapters))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    versions = _versions(secret_manager_client, secret_manager_secrets, "raced")
    assert len(versions) == 15
    assert [v for v in versions if v[1] != "DESTROYED"] == [(15, "ENABLED")]
    latest = secret_manager_client.access_secret_version(
        request={"name": f"projects/{secret_manager_secrets.project}/secrets/raced/versions/15"})
    assert secret_manager_secrets.get("raced") == latest.payload.data.decode()


@needs_server
def test_failed_cleanup_keeps_the_value_and_heals(secret_manager_secrets: SecretManagerSecrets,
                                                  secret_manager_client: Any,
                                                  secret_manager_server: SecretManagerServer,
                                                  all_logs: pytest.LogCaptureFixture) -> None:
    """Destroying old versions is hygiene, not the write: refused (say IAM lacks the role), the put still stands,
    says so in a warning, and the next put destroys what was left."""
    adapter = secret_manager_secrets
    adapter.put("healing", "one")
    secret_manager_server.state.inject_faults("DestroySecretVersion", grpc.StatusCode.PERMISSION_DENIED, 1)
    adapter.put("healing", "two")
    assert adapter.get("healing") == "two"
    assert any(r.levelno == logging.WARNING and getattr(r, "secret", None) == "healing" for r in all_logs.records)
    assert _versions(secret_manager_client, adapter, "healing") == [(1, "ENABLED"), (2, "ENABLED")]
    adapter.put("healing", "three")
    assert _versions(secret_manager_client, adapter, "healing") == [(1, "DESTROYED"), (2, "DESTROYED"),
                                                                     (3, "ENABLED")]


@needs_server
def test_transient_errors_are_retried(secret_manager_secrets: SecretManagerSecrets,
                                      secret_manager_server: SecretManagerServer) -> None:
    secret_manager_secrets.put("flaky", "v")
    secret_manager_server.state.inject_faults("AccessSecretVersion", grpc.StatusCode.UNAVAILABLE, 2)
    secret_manager_server.state.inject_faults("AddSecretVersion", grpc.StatusCode.DEADLINE_EXCEEDED, 1)
    assert secret_manager_secrets.get("flaky") == "v"
    secret_manager_secrets.put("flaky", "w")
    assert secret_manager_secrets.get("flaky") == "w"


@needs_server
def test_lasting_outage_is_a_transient_error(secret_manager_secrets: SecretManagerSecrets,
                                             secret_manager_client: Any,
                                             secret_manager_server: SecretManagerServer) -> None:
    adapter = SecretManagerSecrets(secret_manager_secrets.project, secret_manager_client, retry=default_retry(0.5))
    secret_manager_server.state.inject_faults("AccessSecretVersion", grpc.StatusCode.UNAVAILABLE, 100)
    try:
        with pytest.raises(TransientError):
            adapter.get("anything")
    finally:
        secret_manager_server.state.clear_faults()


@needs_server
def test_disabled_latest_version_is_none(secret_manager_secrets: SecretManagerSecrets,
                                         secret_manager_client: Any) -> None:
    secret_manager_secrets.put("revoked", "v")
    secret_manager_client.disable_secret_version(
        request={"name": f"projects/{secret_manager_secrets.project}/secrets/revoked/versions/1"})
    assert secret_manager_secrets.get("revoked") is None
    secret_manager_secrets.put("revoked", "w")  # a new value makes it usable again
    assert secret_manager_secrets.get("revoked") == "w"


@needs_server
def test_too_long_is_refused_without_the_value(secret_manager_secrets: SecretManagerSecrets) -> None:
    with pytest.raises(ValueError) as refused:
        secret_manager_secrets.put("big", "SENTINEL" * 10_000)
    assert "SENTINEL" not in str(refused.value)


@needs_server
def test_names_secret_manager_refuses(secret_manager_secrets: SecretManagerSecrets) -> None:
    for name in ("", "has space", "slash/inside", "x" * 256):
        with pytest.raises(ValueError):
            secret_manager_secrets.put(name, "v")


@needs_server
def test_emulator_host_from_the_environment(secret_manager_server: SecretManagerServer,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """GT_SECRETS=secretmanager wires the adapter; SECRET_MANAGER_EMULATOR_HOST points it at the local server."""
    monkeypatch.setenv("SECRET_MANAGER_EMULATOR_HOST", secret_manager_server.host)
    adapter = bootstrap.build_secrets(bootstrap.Config(secrets="secretmanager", project="env-project"))
    assert isinstance(adapter, SecretManagerSecrets)
    adapter.put("from-env", "v")
    assert adapter.get("from-env") == "v"


def test_file_stays_the_default() -> None:
    assert bootstrap.Config.from_env({}).secrets == "file"
    with pytest.raises(ValueError):
        bootstrap.build_secrets(bootstrap.Config(secrets="vault"))


def test_importing_the_adapter_is_cheap() -> None:
    """The library (and grpc) load when an instance is built, so a function instance on the file secrets, or
    one that never builds its deps, does not pay for them."""
    code = ("import sys; import gmail_tickets.adapters.secret_manager; "
            "print(sorted(m for m in ('grpc', 'google.cloud.secretmanager_v1', 'google.api_core.exceptions') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- the local server answers as Google


@needs_server
def test_server_status_codes(secret_manager_client: Any) -> None:
    client, parent = secret_manager_client, "projects/codes-test"
    secret = f"{parent}/secrets/s"
    with pytest.raises(gexc.NotFound):
        client.access_secret_version(request={"name": f"{secret}/versions/latest"}, retry=None)
    client.create_secret(request={"parent": parent, "secret_id": "s",
                                  "secret": {"replication": {"automatic": {}}}})
    with pytest.raises(gexc.AlreadyExists):
        client.create_secret(request={"parent": parent, "secret_id": "s",
                                      "secret": {"replication": {"automatic": {}}}})
    with pytest.raises(gexc.InvalidArgument):
        client.create_secret(request={"parent": parent, "secret_id": "no-replication", "secret": {}})
    with pytest.raises(gexc.NotFound):  # a secret without versions has no "latest"
        client.access_secret_version(request={"name": f"{secret}/versions/latest"}, retry=None)
    for n in range(3):
        client.add_secret_version(request={"parent": secret, "payload": {"data": f"v{n}".encode()}})
    with pytest.raises(gexc.InvalidArgument):
        client.add_secret_version(request={"parent": secret, "payload": {"data": b"x", "data_crc32c": 1}})
    with pytest.raises(gexc.InvalidArgument):
        client.add_secret_version(request={"parent": secret, "payload": {"data": b"x" * 65537}})
    latest = client.access_secret_version(request={"name": f"{secret}/versions/latest"})
    assert (latest.name, latest.payload.data) == (f"{secret}/versions/3", b"v2")
    assert client.get_secret_version(request={"name": f"{secret}/versions/latest"}).name == f"{secret}/versions/3"
    client.disable_secret_version(request={"name": f"{secret}/versions/2"})
    client.destroy_secret_version(request={"name": f"{secret}/versions/1"})
    with pytest.raises(gexc.FailedPrecondition):
        client.destroy_secret_version(request={"name": f"{secret}/versions/1"})
    with pytest.raises(gexc.FailedPrecondition):
        client.access_secret_version(request={"name": f"{secret}/versions/2"})
    with pytest.raises(gexc.NotFound):
        client.access_secret_version(request={"name": f"{secret}/versions/9"})
    listing = client.list_secret_versions(request={"parent": secret, "page_size": 2})
    assert [(v.name.rsplit("/", 1)[1], v.state.name) for v in listing] == [
        ("3", "ENABLED"), ("2", "DISABLED"), ("1", "DESTROYED")]
    enabled = client.list_secret_versions(request={"parent": secret, "filter": "state:ENABLED"})
    assert [v.name for v in enabled] == [f"{secret}/versions/3"]
    assert [s.name for s in client.list_secrets(request={"parent": parent})] == [secret]
    client.delete_secret(request={"name": secret})
    with pytest.raises(gexc.NotFound):
        client.delete_secret(request={"name": secret})
    with pytest.raises(gexc.NotFound):
        client.add_secret_version(request={"parent": secret, "payload": {"data": b"x"}})


def test_server_from_the_command_line() -> None:
    process = subprocess.Popen([sys.executable, "-m", "devstack.secret_manager_server"], cwd=REPO,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("export SECRET_MANAGER_EMULATOR_HOST=127.0.0.1:")
        adapter = SecretManagerSecrets("cli", emulator_client(line.split("=", 1)[1]))
        adapter.put("k", "v")
        assert adapter.get("k") == "v"
    finally:
        process.terminate()
        assert process.wait(10) == 0
