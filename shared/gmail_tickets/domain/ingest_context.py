"""What every mail of one sync or import shares, fixed once at its start instead of passed along piece by piece."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from gmail_tickets.domain.burst import BurstPolicy
from gmail_tickets.domain.model import Brand, Connection


class IngestMode(enum.StrEnum):
    LIVE = "live"  # mail arriving now: a new ticket's triggers (the acknowledgement) fire
    IMPORT = "import"  # history brought in on connect: tickets are marked imported and no trigger fires


@dataclass(frozen=True)
class IngestContext:
    """The mailbox being read, our own addresses, the mode, and the settings each mail is judged by."""

    connection: Connection
    ours: frozenset[str]  # lower-cased: this mailbox, and those of the mail's addresses that are support addresses
    mode: IngestMode = IngestMode.LIVE
    brand: Brand | None = None  # words the acknowledgement; not read for an import, which sends none
    burst: BurstPolicy = field(default_factory=BurstPolicy)
    list_mail_is_bulk: bool = True

    def with_ours(self, addresses: frozenset[str]) -> IngestContext:
        """This context, knowing `addresses` (lower-cased) as ours too: what one mail's addresses turned out."""
        return self if addresses <= self.ours else replace(self, ours=self.ours | addresses)

    @property
    def address(self) -> str:
        return self.connection.address

    @property
    def importing(self) -> bool:
        return self.mode is IngestMode.IMPORT
