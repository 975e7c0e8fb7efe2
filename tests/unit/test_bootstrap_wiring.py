"""What bootstrap wires for each entry point: jobs inline by default and on threads embedded, one OAuth setup,
Gmail push off on one machine."""

from __future__ import annotations

from pathlib import Path

from gmail_tickets import bootstrap, secret_names
from gmail_tickets.adapters.inline_jobs import InlineJobs
from gmail_tickets.adapters.local_secrets import FileSecrets
from gmail_tickets.adapters.thread_jobs import ThreadJobs


def _config(tmp_path: Path, **fields: object) -> bootstrap.Config:
    return bootstrap.Config(sqlite_path=str(tmp_path / "gt.sqlite"), secrets_file=str(tmp_path / "secrets.json"),
                            blobs_dir=str(tmp_path / "blobs"), **fields)  # type: ignore[arg-type]


def test_build_runs_jobs_inline_and_the_embedded_runtime_on_threads(tmp_path: Path) -> None:
    assert isinstance(bootstrap.build(_config(tmp_path)).jobs, InlineJobs)
    runtime = bootstrap.embedded_runtime(_config(tmp_path))
    assert isinstance(runtime.deps.jobs, ThreadJobs)
    assert runtime.subscriber is runtime.deps.publisher  # one broker, both ports
    assert isinstance(bootstrap.local_deps(_config(tmp_path)).jobs, ThreadJobs)


def test_local_config_turns_gmail_push_off_whatever_the_environment_says() -> None:
    assert bootstrap.local_config({"GT_GMAIL_PUSH": "1", "GT_OAUTH_CLIENT_ID": "id"}).gmail_push is False
    assert bootstrap.local_config({"GT_OAUTH_CLIENT_ID": "id"}).oauth_client_id == "id"


def test_oauth_setup_needs_the_client_id_and_its_secret(tmp_path: Path) -> None:
    secrets = FileSecrets(tmp_path / "secrets.json")
    config = _config(tmp_path, oauth_client_id="client-1", oauth_auth_uri="http://127.0.0.1:9/auth")
    assert bootstrap.oauth_setup(config, secrets) is None
    assert bootstrap.adopt_client_secret(secrets, {}) is None
    assert bootstrap.adopt_client_secret(secrets, {"GT_OAUTH_CLIENT_SECRET": "s3cret"}) == "s3cret"
    assert bootstrap.adopt_client_secret(secrets, {}) == "s3cret"  # kept for later runs
    assert secrets.get(secret_names.OAUTH_CLIENT_SECRET) == "s3cret"
    setup = bootstrap.oauth_setup(config, secrets)
    assert setup is not None and (setup.client_id, setup.auth_uri) == ("client-1", "http://127.0.0.1:9/auth")
    assert bootstrap.oauth_setup(_config(tmp_path), secrets) is None  # no client id
