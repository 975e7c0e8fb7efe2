"""Contract: every BlobStore keeps bytes exactly, under safe keys, with the same errors.

The tests taking `blobs` run once per adapter (the local folder and Cloud Storage on its emulator) and speak
only the port, so passing them proves the services may use either. Raw mail is binary (8-bit bodies, CRLF,
bytes that are not UTF-8) and some is megabytes, so the data here is too. The tests at the end are the folder
adapter's own: file modes, atomic replacement and what it leaves on disk.
"""

from __future__ import annotations

import os
import random
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from gmail_tickets.adapters.local_blobs import FileBlobs
from gmail_tickets.ports import BlobStore

RAW_MAIL = (b"From: =?iso-8859-1?q?J=F6rg?= <joerg@customer.test>\r\nSubject: Drucker\r\n"
            b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            b"Gr\xfc\xdfe, der Drucker brennt.\r\n.\r\n")
BIG = random.Random(7).randbytes(3 * 1024 * 1024 + 17)  # odd size: no chunk boundary lines up

BAD_KEYS = [
    "", "/etc/passwd", "../outside", "raw/../../outside", "raw/..", "..", ".", "raw/./x", "raw//x", "raw/",
    "raw\\..\\x", "raw/x\x00.eml", "raw/x\n.eml", "a/" + "x" * 256, "k" * 1025, "raw/\udcff.eml",
]


# --------------------------------------------------------------------------- the contract, for every adapter


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00", RAW_MAIL, bytes(range(256)) * 4, b"\r\n", b"--\r\n", BIG],
    ids=["empty", "nul", "raw-mail", "all-bytes", "crlf", "dashes", "3MB"],
)
def test_bytes_come_back_exactly(blobs: BlobStore, data: bytes) -> None:
    blobs.put("raw/support@acme.test/18f3a2b4c5d6e7f8.eml", data, "message/rfc822")

    got = blobs.get("raw/support@acme.test/18f3a2b4c5d6e7f8.eml")

    assert type(got) is bytes
    assert got == data


@pytest.mark.parametrize("content_type", [
    "message/rfc822", "application/octet-stream", "text/plain; charset=utf-8", "image/png",
    "message/delivery-status", "multipart/mixed; boundary=x",
])
def test_any_content_type_is_accepted(blobs: BlobStore, content_type: str) -> None:
    # Attachments keep the type the mail gave them, including message/* and multipart/* ones.
    blobs.put("attachments/" + "ab" * 32, RAW_MAIL, content_type)

    assert blobs.get("attachments/" + "ab" * 32) == RAW_MAIL


def test_put_is_idempotent(blobs: BlobStore) -> None:
    blobs.put("attachments/" + "cd" * 32, BIG, "application/pdf")
    blobs.put("attachments/" + "cd" * 32, BIG, "application/pdf")

    assert blobs.get("attachments/" + "cd" * 32) == BIG


def test_the_last_put_wins(blobs: BlobStore) -> None:
    blobs.put("raw/c/1.eml", BIG)
    blobs.put("raw/c/1.eml", b"shorter")
    blobs.put("raw/c/2.eml", b"")
    blobs.put("raw/c/2.eml", RAW_MAIL)

    assert blobs.get("raw/c/1.eml") == b"shorter"
    assert blobs.get("raw/c/2.eml") == RAW_MAIL


def test_a_missing_blob_is_a_key_error(blobs: BlobStore) -> None:
    with pytest.raises(KeyError) as caught:
        blobs.get("raw/c/missing.eml")

    assert caught.value.args == ("raw/c/missing.eml",)


def test_exists_follows_put_and_delete(blobs: BlobStore) -> None:
    assert not blobs.exists("raw/c/1.eml")

    blobs.put("raw/c/1.eml", b"")
    assert blobs.exists("raw/c/1.eml")  # an empty blob is still a blob

    blobs.delete("raw/c/1.eml")
    assert not blobs.exists("raw/c/1.eml")
    with pytest.raises(KeyError):
        blobs.get("raw/c/1.eml")


def test_deleting_a_missing_blob_is_fine(blobs: BlobStore) -> None:
    blobs.delete("raw/c/never.eml")
    blobs.put("raw/c/once.eml", b"x")
    blobs.delete("raw/c/once.eml")
    blobs.delete("raw/c/once.eml")

    assert not blobs.exists("raw/c/once.eml")


def test_many_keys_under_one_prefix_stay_apart(blobs: BlobStore) -> None:
    keys = [f"raw/support@acme.test/{n:016x}.eml" for n in range(40)]
    for n, key in enumerate(keys):
        blobs.put(key, RAW_MAIL + str(n).encode(), "message/rfc822")

    blobs.delete(keys[7])

    for n, key in enumerate(keys):
        if n == 7:
            assert not blobs.exists(key)
        else:
            assert blobs.get(key) == RAW_MAIL + str(n).encode()
    # The prefix is no blob of its own.
    assert not blobs.exists("raw/support@acme.test")
    with pytest.raises(KeyError):
        blobs.get("raw/support@acme.test")


def test_unusual_but_valid_keys_work(blobs: BlobStore) -> None:
    keys = ["raw/støtte@acme.test/a b#c?d%2Fe.eml", "attachments/x.y.z", "a/.hidden", "a/...", "-", "😀/😀"]
    for key in keys:
        blobs.put(key, key.encode())

    for key in keys:
        assert blobs.get(key) == key.encode()


def test_put_many_keeps_each_blob_under_its_key(blobs: BlobStore) -> None:
    items = [(f"raw/{box}@acme.test/{n}.eml", RAW_MAIL + bytes([n]), "message/rfc822")
             for box in ("a", "b") for n in range(3)] + [("attachments/big", BIG, "application/octet-stream")]
    blobs.put_many(items)
    blobs.put_many([])

    for key, data, _type in items:
        assert blobs.get(key) == data
    with pytest.raises(ValueError):
        blobs.put_many([("raw/../x", b"x", "message/rfc822")])


@pytest.mark.parametrize("key", BAD_KEYS, ids=range(len(BAD_KEYS)))
def test_unsafe_keys_are_refused_by_every_operation(blobs: BlobStore, key: str) -> None:
    with pytest.raises(ValueError):
        blobs.put(key, b"x")
    with pytest.raises(ValueError):
        blobs.get(key)
    with pytest.raises(ValueError):
        blobs.exists(key)
    with pytest.raises(ValueError):
        blobs.delete(key)


# --------------------------------------------------------------------------- the folder adapter's own


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, set explicitly, so the modes checked below do not depend on the machine."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o000, 0o077])
def test_files_are_0600_and_folders_0700_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        blobs = FileBlobs(tmp_path / "root")
        blobs.put("raw/support@acme.test/1.eml", RAW_MAIL, "message/rfc822")
        blobs.put("raw/support@acme.test/1.eml", b"again")  # a replacement keeps the mode
    finally:
        os.umask(old)

    root = tmp_path / "root"
    assert _mode(root) == 0o700
    assert _mode(root / "raw") == 0o700
    assert _mode(root / "raw" / "support@acme.test") == 0o700
    assert _mode(root / "raw" / "support@acme.test" / "1.eml") == 0o600


def test_blobs_are_plain_files_at_their_key_with_nothing_beside_them(tmp_path: Path, umask_022: None) -> None:
    blobs = FileBlobs(tmp_path / "root")
    for n in range(5):
        blobs.put(f"raw/c/{n}.eml", RAW_MAIL, "message/rfc822")
        blobs.put(f"raw/c/{n}.eml", BIG, "message/rfc822")
    blobs.put("attachments/" + "ef" * 32, b"", "image/png")

    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if not p.is_dir())
    assert files == ["root/attachments/" + "ef" * 32] + [f"root/raw/c/{n}.eml" for n in range(5)]
    assert (tmp_path / "root" / "raw" / "c" / "3.eml").read_bytes() == BIG


def test_a_failed_write_keeps_the_old_bytes_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blobs = FileBlobs(tmp_path)
    blobs.put("raw/c/1.eml", RAW_MAIL)

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        blobs.put("raw/c/1.eml", BIG)
    monkeypatch.undo()

    assert blobs.get("raw/c/1.eml") == RAW_MAIL
    assert sorted(p.name for p in (tmp_path / "raw" / "c").iterdir()) == ["1.eml"]


def test_unsafe_keys_touch_nothing_outside_the_root(tmp_path: Path) -> None:
    blobs = FileBlobs(tmp_path / "root")
    for key in BAD_KEYS:
        with pytest.raises(ValueError):
            blobs.put(key, b"x")

    assert [p.name for p in tmp_path.iterdir()] == ["root"]
    assert list((tmp_path / "root").iterdir()) == []


def test_a_key_cannot_be_both_a_blob_and_a_folder_here(tmp_path: Path) -> None:
    # Cloud Storage would allow it; files cannot. The project's keys never do it, so it is refused plainly.
    blobs = FileBlobs(tmp_path)
    blobs.put("raw/c", b"a blob")
    with pytest.raises(ValueError):
        blobs.put("raw/c/1.eml", b"x")

    blobs.put("attachments/x/1", b"x")
    with pytest.raises(ValueError):
        blobs.put("attachments/x", b"a blob")

    assert blobs.get("raw/c") == b"a blob"
    assert not blobs.exists("attachments/x")
    blobs.delete("attachments/x")  # a folder is no blob: nothing to delete
    assert blobs.get("attachments/x/1") == b"x"
    assert not [p for p in tmp_path.rglob(".tmp-*")]


def test_put_many_syncs_each_folder_once_after_every_file_is_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The raw mails of a sync's chunk: one folder sync for them all, and only once each file is renamed into
    place (the sync is what makes the renames durable)."""
    from gmail_tickets.adapters import local_blobs

    blobs = FileBlobs(tmp_path)
    synced: list[tuple[Path, list[str]]] = []
    monkeypatch.setattr(local_blobs, "_fsync_folder",
                        lambda folder: synced.append((folder, sorted(p.name for p in folder.iterdir()))))
    blobs.put_many([(f"raw/c/{n}.eml", RAW_MAIL, "message/rfc822") for n in range(5)] + [("raw/d/x.eml", b"x", "")])

    assert synced == [(tmp_path / "raw" / "c", [f"{n}.eml" for n in range(5)]), (tmp_path / "raw" / "d", ["x.eml"])]
