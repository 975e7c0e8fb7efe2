"""The BlobStore port on a local folder, for the embedded stack: one file per blob, at the key's path.

Keys map to paths one to one ("raw/acme/18f.eml" is ROOT/raw/acme/18f.eml), so an operator can open a raw mail
with any tool. Because of that, a key can be a blob or a folder of others, never both ("a" and "a/b" clash here,
though Cloud Storage would allow it); the project's keys never do that.

Writes go to a temporary file in the target's folder, are fsynced and then renamed over the target, so a reader
sees the old bytes or the new ones, never a torn file, and a crash leaves at most a ".tmp-*" file behind. Blobs
are raw mail: files are 0600 and folders 0700, readable by the service's user only.

content_type is not kept: the port gives only bytes back, and a sidecar file per blob would need its own
atomic write for nothing any caller reads.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from gmail_tickets.adapters.private_files import DIR_MODE, FILE_MODE, private_folder
from gmail_tickets.ports.blobs import BlobItem

__all__ = ["DIR_MODE", "FILE_MODE", "FileBlobs", "check_key"]
MAX_KEY_BYTES = 1024  # Cloud Storage's limit for object names
MAX_SEGMENT_BYTES = 255  # a file name's limit on common file systems
_TMP_PREFIX = ".tmp-"


def check_key(key: str) -> str:
    """Return `key` if it is a safe relative '/'-separated path; raise ValueError otherwise.

    Shared by both adapters so a key valid for one is valid for the other: no empty, absolute or
    backslashed keys, no empty, '.' or '..' segments (nothing can leave the root), no control characters,
    and lengths every file system and Cloud Storage accept.
    """
    if not isinstance(key, str):
        raise TypeError(f"blob key must be str, not {type(key).__name__}")
    if not key:
        raise ValueError("blob key is empty")
    if key.startswith("/"):
        raise ValueError(f"blob key must be relative: {key!r}")
    if "\\" in key or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in key):
        raise ValueError(f"blob key has a backslash or control character: {key!r}")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError(f"blob key is not valid Unicode: {key!r}") from None
    if size > MAX_KEY_BYTES:
        raise ValueError(f"blob key longer than {MAX_KEY_BYTES} bytes")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise ValueError(f"blob key has an empty, '.' or '..' segment: {key!r}")
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise ValueError(f"blob key segment longer than {MAX_SEGMENT_BYTES} bytes: {key!r}")
    return key


class FileBlobs:
    """Blobs as files under `root` (created 0700 when missing)."""

    def __init__(self, root: str | Path) -> None:
        self.root = private_folder(Path(root).absolute())  # the parents too: `.var/` when it is new

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        _fsync_folder(self._write(key, data))  # the rename itself survives a crash only once its folder is synced

    def put_many(self, items: Sequence[BlobItem]) -> None:
        """Each file written and synced, then each folder synced once (a sync's raw mails share one folder)."""
        folders = dict.fromkeys(self._write(key, data) for key, data, _type in items)
        for folder in folders:
            _fsync_folder(folder)

    def _write(self, key: str, data: bytes) -> Path:
        """The file written, synced and renamed into place; its folder (not synced yet) returned."""
        path = self._path(key)
        self._make_folders(path.parent, key)
        fd, tmp_name = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=path.parent)  # mkstemp creates it 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, path)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            if isinstance(exc, IsADirectoryError):
                raise ValueError(f"blob key {key!r} is a folder of other blobs here") from exc
            raise
        return path.parent

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the file; a missing one is fine. Emptied folders stay: removing them would race a put that
        is about to write into them."""
        path = self._path(key)
        if path.is_dir():
            return
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            path.unlink()

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def _make_folders(self, folder: Path, key: str) -> None:
        """Create the missing folders from the root down, each 0700 whatever the umask."""
        missing: list[Path] = []
        current = folder
        while current != self.root and not current.is_dir():
            missing.append(current)
            current = current.parent
        for path in reversed(missing):
            try:
                path.mkdir(mode=DIR_MODE)
            except FileExistsError:
                if not path.is_dir():
                    raise ValueError(f"blob key {key!r} runs through the blob {path.name!r}") from None
                continue  # made by a concurrent put
            except NotADirectoryError:
                raise ValueError(f"blob key {key!r} runs through another blob") from None
            os.chmod(path, DIR_MODE)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
