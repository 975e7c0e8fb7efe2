"""Wall time plus an offset read from a file: a clock that something outside the process can move forward.

The chaos soak (devstack/chaos) runs the product as processes it kills and restarts, and makes hours-long outages
in seconds by advancing the Gmail simulator's clock and this file together; every product process then sees the
same "now" (retry times come due, leases and send windows age) without sleeping. Never set in production.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path


class OffsetClock:
    """`now()` is wall time plus the seconds written in `path` (a float; a missing or unreadable file counts as 0).
    The file is read again only when it changes (inode, modification time or size), so a call costs one stat."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._offset = 0.0

    def offset(self) -> float:
        try:
            stat = os.stat(self._path)
        except OSError:
            return 0.0
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)  # write_offset replaces the file: a new inode
        with self._lock:
            if key != self._seen:
                self._offset = _read(self._path, self._offset)
                self._seen = key
            return self._offset

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset())


def _read(path: Path, previous: float) -> float:
    """The file's number; on a half-written or vanished file keep the previous value (it is read again next time
    the file changes)."""
    try:
        return float(path.read_text().strip() or 0.0)
    except (OSError, ValueError):
        return previous


def write_offset(path: str | Path, seconds: float) -> None:
    """Write the offset atomically (a reader never sees a half-written number)."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(repr(float(seconds)))
    os.replace(tmp, target)
