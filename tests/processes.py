"""Helpers for tests that check no process is left behind."""

from __future__ import annotations

import time
from pathlib import Path


def gone(pid: int, timeout: float = 10.0) -> bool:
    """True once no process `pid` exists (reaped, or a zombie of a parent that is gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False
