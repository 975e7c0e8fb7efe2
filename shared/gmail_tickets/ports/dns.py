"""Looking up TXT records, for the console's "check now" of a domain's relay records."""

from __future__ import annotations

from typing import Protocol


class TxtLookup(Protocol):
    def txt(self, name: str) -> list[str] | None:
        """The TXT records at `name`, each record's strings joined; None when the name has none (NXDOMAIN or no
        TXT). Raises TransientError when DNS could not be asked (timeout, SERVFAIL)."""
