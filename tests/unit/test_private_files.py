"""The embedded product's files are its user's alone, whatever the umask, and older files are tightened."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gmail_tickets import bootstrap
from gmail_tickets.adapters.local_secrets import FileSecrets
from gmail_tickets.adapters.sqlite_store import SqliteStore


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The common umask (022: new files world-readable); the product must not depend on a stricter one."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_sqlite_file_and_its_wal_and_shm_are_0600(tmp_path: Path, loose_umask: None) -> None:
    store = SqliteStore(tmp_path / "db.sqlite")
    try:
        store.list_tickets()
        names = {p.name: _mode(p) for p in tmp_path.iterdir()}
        assert names == {"db.sqlite": 0o600, "db.sqlite-wal": 0o600, "db.sqlite-shm": 0o600}
    finally:
        store.close()
    assert os.umask(0o022) == 0o022  # the process umask is as it was


def test_older_sqlite_and_secrets_files_are_tightened(tmp_path: Path, loose_umask: None) -> None:
    for name in ("db.sqlite", "db.sqlite-wal", "secrets.json"):
        (tmp_path / name).write_bytes(b"" if name != "secrets.json" else b"{}")
        os.chmod(tmp_path / name, 0o644)
    SqliteStore(tmp_path / "db.sqlite").close()
    FileSecrets(tmp_path / "secrets.json")
    assert {name: _mode(tmp_path / name) for name in ("db.sqlite", "secrets.json")} == {
        "db.sqlite": 0o600, "secrets.json": 0o600}


def test_the_default_state_folder_is_made_0700_and_an_old_one_tightened(
        tmp_path: Path, loose_umask: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = bootstrap.Config()
    secrets = bootstrap.build_secrets(config)
    secrets.put("a", "b")
    assert _mode(tmp_path / ".var") == 0o700 and _mode(tmp_path / ".var" / "secrets.json") == 0o600
    os.chmod(tmp_path / ".var", 0o755)  # as an older version left it
    store = bootstrap.build_store(config)
    store.close()
    blobs = bootstrap.build_blobs(config)
    blobs.put("raw/a/b.eml", b"mail")
    assert _mode(tmp_path / ".var") == 0o700
    assert _mode(tmp_path / ".var" / "blobs") == 0o700 and _mode(tmp_path / ".var" / "blobs" / "raw" / "a") == 0o700
    assert _mode(tmp_path / ".var" / "blobs" / "raw" / "a" / "b.eml") == 0o600


def test_a_configured_folder_that_exists_is_left_alone(tmp_path: Path, loose_umask: None) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    bootstrap.build_store(bootstrap.Config(sqlite_path=str(shared / "deep" / "db.sqlite"))).close()
    assert _mode(shared) == 0o755 and _mode(shared / "deep") == 0o700
    assert _mode(shared / "deep" / "db.sqlite") == 0o600
