"""Mail set aside (SetAsideRepo / SetAsideUnit, part of the Store): quarantined (could not be used) and suspended
(kept, no ticket; an agent may recover it, which moves the record off the list, or delete it)."""

from __future__ import annotations

from typing import Protocol

from gmail_tickets.domain.model import QuarantineRecord, SuspendedMail
from gmail_tickets.domain.paging import Page, PageRequest


class SetAsideUnit(Protocol):
    def add_quarantine(self, record: QuarantineRecord) -> None:
        """Insert or replace by id (a redelivered poison event quarantines once)."""

    def add_suspended(self, record: SuspendedMail) -> None:
        """Insert or replace by id."""

    def get_suspended(self, record_id: str) -> SuspendedMail | None:
        """The record, listed or recovered (a recovered one has `recovered_ticket`)."""

    def recover_suspended(self, record: SuspendedMail) -> None:
        """Move a record read in this unit off the suspended list, keeping it (with its `recovered_*` links)."""

    def delete_suspended(self, record_id: str) -> None:
        """Drop a listed record (the ledger keeps the mail's entry and raw key)."""


class SetAsideRepo(Protocol):
    """Mail that became no ticket: quarantined (could not be used) and suspended (auto-mail, loops, bursts)."""

    def list_quarantine(self, *, limit: int = 50) -> list[QuarantineRecord]: ...

    def list_suspended(self, *, limit: int = 50) -> list[SuspendedMail]:
        """Newest first."""

    def suspended_page(self, page: PageRequest) -> Page[SuspendedMail]:
        """Newest first (by created_at, then when it was stored), one keyset page."""

    def count_suspended(self) -> int: ...

    def get_suspended(self, record_id: str) -> SuspendedMail | None:
        """The record, listed or recovered."""

    def quarantine_page(self, page: PageRequest) -> Page[QuarantineRecord]:
        """Newest first (by when it was stored), one keyset page."""

    def count_quarantine(self) -> int: ...
