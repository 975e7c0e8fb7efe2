"""The people roles of the Store: agents, their invitations and the audit log (records: domain/people.py).

The unit-of-work side exists because some changes must see the whole desk at once: demoting or deactivating an
admin is refused when it would leave no active admin, and taking an invitation must create the agent exactly once.
"""

from __future__ import annotations

from typing import Protocol

from gmail_tickets.domain.paging import Page, PageRequest
from gmail_tickets.domain.people import Agent, AuditEntry, Invite


class PeopleUnit(Protocol):
    def get_agent(self, email: str) -> Agent | None: ...

    def list_agents(self) -> list[Agent]:
        """Every agent, by email: a desk has tens of agents, so reading them all in a transaction is cheap."""

    def put_agent(self, agent: Agent) -> None:
        """Insert or replace by email."""

    def get_invite(self, token_hash: str) -> Invite | None: ...

    def put_invite(self, invite: Invite) -> None: ...

    def delete_invite(self, token_hash: str) -> None: ...

    def add_audit(self, entry: AuditEntry) -> None: ...


class PeopleRepo(Protocol):
    """Agents, pending invitations and the audit log, read outside transactions."""

    def get_agent(self, email: str) -> Agent | None: ...

    def list_agents(self) -> list[Agent]:
        """By email."""

    def save_agent(self, agent: Agent) -> None: ...

    def list_invites(self) -> list[Invite]:
        """Pending and expired alike, oldest first (the page shows which have expired)."""

    def add_audit(self, entry: AuditEntry) -> None: ...

    def list_audit(self, *, limit: int = 100) -> list[AuditEntry]:
        """Newest first."""

    def audit_page(self, page: PageRequest) -> Page[AuditEntry]:
        """Newest first, one keyset page."""

    def count_audit(self) -> int: ...
