"""Presence: who is typing a reply on which ticket, for "Ana is replying" in the console.

Short-lived by design: an entry lasts until `until` and is renewed by the typing agent's browser (at most every
~10 s while they type), so a closed tab disappears by itself. In memory on one machine
(services/presence.MemoryPresence); in the cloud, where each request may reach another instance, one small
Firestore document per ticket (adapters/firestore_presence.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Presence(Protocol):
    def typing(self, ticket_id: int, email: str, name: str, until: datetime) -> None:
        """`email` (shown as `name`) is typing on the ticket until `until`."""

    def typing_on(self, ticket_id: int, now: datetime) -> dict[str, str]:
        """Who is typing on the ticket at `now`: email → name (one read)."""
