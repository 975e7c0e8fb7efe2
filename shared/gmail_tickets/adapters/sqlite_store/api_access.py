"""ApiAccessRepo on SQLite: api_tokens and api_idempotency (migration 15), each record a JSON doc."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gmail_tickets.adapters import records
from gmail_tickets.adapters.sqlite_store.tx import SqliteRepo, SqliteTx, doc_text
from gmail_tickets.domain.api_access import ApiToken, IdempotentResponse


class ApiAccessRepo(SqliteRepo):
    def _write(self, fn: Any) -> Any:
        return self._db.transaction(SqliteTx, fn)

    def save_api_token(self, token: ApiToken) -> None:
        self._write(lambda tx: tx._upsert("api_tokens", {"id": token.id, "agent": token.agent.lower(),
                                                         "created_at": records.ts(token.created_at)},
                                          doc_text(token)))

    def get_api_token(self, token_id: str) -> ApiToken | None:
        found = self._records(ApiToken, "SELECT doc FROM api_tokens WHERE id = ?", (token_id,))
        return found[0] if found else None

    def list_api_tokens(self, agent: str | None = None) -> list[ApiToken]:
        where, params = ("WHERE agent = ?", (agent.lower(),)) if agent is not None else ("", ())
        return self._records(ApiToken, f"SELECT doc FROM api_tokens {where} ORDER BY created_at DESC, id", params)

    def claim_idempotency(self, record: IdempotentResponse, *, take_over_before: datetime) -> IdempotentResponse | None:
        """Read and write in one BEGIN IMMEDIATE transaction: SQLite's one writer makes the check-and-take atomic."""

        def work(tx: SqliteTx) -> IdempotentResponse | None:
            found = tx._get(IdempotentResponse, "api_idempotency", "key", record.key)
            if found is None or found.abandoned(take_over_before):
                found = None
                tx._upsert("api_idempotency", {"key": record.key}, doc_text(record))
            return found

        return self._write(work)  # type: ignore[no-any-return]

    def save_idempotency(self, record: IdempotentResponse) -> None:
        self._write(lambda tx: tx._upsert("api_idempotency", {"key": record.key}, doc_text(record)))

    def drop_idempotency(self, key: str) -> None:
        self._write(lambda tx: tx._delete("api_idempotency", "key", key))
