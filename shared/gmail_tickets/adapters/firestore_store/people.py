"""PeopleRepo on Firestore: agents/{email}, invites/{token hash}, audit/{id} (each records.py's dict of the
record). The audit log is read newest first by `at`, one field, so the automatic single-field index serves it."""

from __future__ import annotations

from google.cloud import firestore

from gmail_tickets.adapters import records
from gmail_tickets.adapters.firestore_store.base import FirestoreBase
from gmail_tickets.adapters.firestore_store.transaction import FirestoreTx
from gmail_tickets.adapters.records import to_doc
from gmail_tickets.domain.paging import Page, PageRequest
from gmail_tickets.domain.people import Agent, AuditEntry, Invite


class PeopleTx(FirestoreTx):
    def get_agent(self, email: str) -> Agent | None:
        return self.read_record(Agent, self._store._ref("agents", email))

    def list_agents(self) -> list[Agent]:
        query = self._store._col("agents").order_by("email")
        return [records.from_doc(Agent, s.to_dict() or {}) for s in self.query(query)]

    def put_agent(self, agent: Agent) -> None:
        self.set(self._store._ref("agents", agent.email), to_doc(agent))

    def get_invite(self, token_hash: str) -> Invite | None:
        return self.read_record(Invite, self._store._ref("invites", token_hash))

    def put_invite(self, invite: Invite) -> None:
        # `ttl_at`, a Firestore timestamp (records keep times as text), lets a TTL policy sweep expired invites.
        self.set(self._store._ref("invites", invite.token_hash), {**to_doc(invite), "ttl_at": invite.expires_at})

    def delete_invite(self, token_hash: str) -> None:
        self.delete(self._store._ref("invites", token_hash))

    def add_audit(self, entry: AuditEntry) -> None:
        self.set(self._store._ref("audit", entry.id), to_doc(entry))


class PeopleRepo(FirestoreBase):
    def get_agent(self, email: str) -> Agent | None:
        return self._get_record(Agent, self._ref("agents", email))

    def list_agents(self) -> list[Agent]:
        return self._records(Agent, self._col("agents").order_by("email"))

    def save_agent(self, agent: Agent) -> None:
        self._set(self._ref("agents", agent.email), to_doc(agent))

    def list_invites(self) -> list[Invite]:
        found = self._records(Invite, self._col("invites").order_by("created_at"))
        return sorted(found, key=lambda i: (i.created_at, i.token_hash))

    def add_audit(self, entry: AuditEntry) -> None:
        self._set(self._ref("audit", entry.id), to_doc(entry))

    def audit_page(self, page: PageRequest) -> Page[AuditEntry]:
        return self._page("audit", self._col("audit"), ("at",), page,
                          lambda s: records.from_doc(AuditEntry, s.to_dict() or {}))

    def count_audit(self) -> int:
        return self._count_of(self._col("audit"))

    def list_audit(self, *, limit: int = 100) -> list[AuditEntry]:
        query = self._col("audit").order_by("at", direction=firestore.Query.DESCENDING).limit(limit)
        return self._records(AuditEntry, query)
