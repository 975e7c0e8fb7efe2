"""The help desk's own SMTP relay."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Relay(Protocol):
    """The help desk's own mail servers (SMTP with STARTTLS and authentication): used when Gmail may not send."""

    def send(self, raw: bytes, sender: str, recipients: Sequence[str]) -> None:
        """Hand the mail to the relay. Raises TransientError when worth retrying (4xx, unreachable) and
        RelayRejected when the relay refuses it for good (5xx)."""
