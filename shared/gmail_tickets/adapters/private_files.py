"""Files and folders of the embedded product, readable by its own user only: every ticket and mail body is in
them. Modes are set explicitly, never left to the process umask (commonly 022, which makes new files readable by
every local user), and without changing the umask, which is process-wide and would race other threads."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_folder(path: str | os.PathLike[str]) -> Path:
    """`path` as a folder, with every level this call creates made 0700 whatever the umask. Folders that exist
    are left as they are (the state folder may sit in a shared place): `tighten` is for our own."""
    folder = Path(path)
    missing: list[Path] = []
    current = folder
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for level in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made by a concurrent caller
            level.mkdir(mode=DIR_MODE)
            os.chmod(level, DIR_MODE)  # mkdir's mode is cut by the umask, never widened; set it outright
    return folder


def tighten(path: str | os.PathLike[str], mode: int) -> None:
    """Take group and other access off a file or folder we own, made before this rule (or by another tool)."""
    with contextlib.suppress(FileNotFoundError):
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, mode)


def private_file(path: str | os.PathLike[str]) -> None:
    """Create `path` empty and 0600 unless it exists (then make it 0600): a file a library is about to open and
    would otherwise create with its own default mode (SQLite: 0644 under the umask)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)  # no O_TRUNC: an existing file keeps its bytes
    os.close(fd)
    tighten(path, FILE_MODE)
