"""PeopleRepo on SQLite: agents, invitations and the audit log, each a doc keyed by its identity (migration 10)."""

from __future__ import annotations

from gmail_tickets.adapters import records
from gmail_tickets.adapters.sqlite_store.tx import SqliteRepo, SqliteTx, doc_text, record_of
from gmail_tickets.domain.paging import Page, PageRequest
from gmail_tickets.domain.people import Agent, AuditEntry, Invite


class PeopleTx(SqliteTx):
    def get_agent(self, email: str) -> Agent | None:
        return self._get(Agent, "agents", "email", email)

    def list_agents(self) -> list[Agent]:
        return [record_of(Agent, row) for row in self._db.execute("SELECT doc FROM agents ORDER BY email")]

    def put_agent(self, agent: Agent) -> None:
        self._upsert("agents", {"email": agent.email}, doc_text(agent))

    def get_invite(self, token_hash: str) -> Invite | None:
        return self._get(Invite, "invites", "token_hash", token_hash)

    def put_invite(self, invite: Invite) -> None:
        self._upsert("invites", {"token_hash": invite.token_hash, "created_at": records.ts(invite.created_at)},
                     doc_text(invite))

    def delete_invite(self, token_hash: str) -> None:
        self._delete("invites", "token_hash", token_hash)

    def add_audit(self, entry: AuditEntry) -> None:
        self._write("INSERT INTO audit (id, at, doc) VALUES (?, ?, ?)",
                    (entry.id, records.ts(entry.at), doc_text(entry)))


class PeopleRepo(SqliteRepo):
    def get_agent(self, email: str) -> Agent | None:
        found = self._records(Agent, "SELECT doc FROM agents WHERE email = ?", (email,))
        return found[0] if found else None

    def list_agents(self) -> list[Agent]:
        return self._records(Agent, "SELECT doc FROM agents ORDER BY email")

    def save_agent(self, agent: Agent) -> None:
        self._transaction(lambda tx: tx.put_agent(agent))

    def list_invites(self) -> list[Invite]:
        return self._records(Invite, "SELECT doc FROM invites ORDER BY created_at, token_hash")

    def add_audit(self, entry: AuditEntry) -> None:
        self._transaction(lambda tx: tx.add_audit(entry))

    def audit_page(self, page: PageRequest) -> Page[AuditEntry]:
        return self._page("audit", ("at", "seq"), page, lambda r: record_of(AuditEntry, r))

    def count_audit(self) -> int:
        return self._count_rows("audit")

    def list_audit(self, *, limit: int = 100) -> list[AuditEntry]:
        return self._records(AuditEntry, "SELECT doc FROM audit ORDER BY at DESC, seq DESC LIMIT ?", (limit,))
