"""ApiAccessRepo on Firestore: api_tokens/{sha256} (with `agent_key`, the agent lower-cased, to list by) and
api_idempotency/{key}. A claim is a document create,
which fails when the document exists: two retries racing each other cannot both claim a key."""

from __future__ import annotations

from datetime import datetime

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.document import DocumentReference

from gmail_tickets.adapters import records
from gmail_tickets.adapters.firestore_store.base import FirestoreBase
from gmail_tickets.adapters.firestore_store.client import translated
from gmail_tickets.domain.api_access import ApiToken, IdempotentResponse


class ApiAccessRepo(FirestoreBase):
    def save_api_token(self, token: ApiToken) -> None:
        self._set(self._ref("api_tokens", token.id), {**records.to_doc(token), "agent_key": token.agent.lower()})

    def get_api_token(self, token_id: str) -> ApiToken | None:
        return self._get_record(ApiToken, self._ref("api_tokens", token_id))

    def list_api_tokens(self, agent: str | None = None) -> list[ApiToken]:
        query = self._col("api_tokens")
        if agent is not None:
            query = query.where(filter=firestore.FieldFilter("agent_key", "==", agent.lower()))  # type: ignore[assignment]
        with translated():
            found = [records.from_doc(ApiToken, snap.to_dict() or {}) for snap in query.stream()]
        return sorted(found, key=lambda t: (t.created_at.timestamp() if t.created_at else 0.0), reverse=True)

    def claim_idempotency(self, record: IdempotentResponse, *, take_over_before: datetime) -> IdempotentResponse | None:
        ref = self._ref("api_idempotency", record.key)
        try:
            with translated():
                ref.create(records.to_doc(record))
        except gexc.Conflict:  # AlreadyExists: someone used the key first
            return self._take_over(ref, record, take_over_before)
        self._count(1)
        return None

    def _take_over(self, ref: DocumentReference, record: IdempotentResponse,
                   take_over_before: datetime) -> IdempotentResponse | None:
        """Replace an abandoned claim only if the document is still the one read (an update with its update
        time as precondition): a racing retry that took it over first makes this one fail, and it gets that
        retry's claim instead."""
        snap = self._get(ref)
        found = records.from_doc(IdempotentResponse, snap.to_dict() or {}) if snap.exists else None
        if found is not None and not found.abandoned(take_over_before):
            return found
        try:
            with translated():
                if snap.exists:
                    unchanged = self._client.write_option(last_update_time=snap.update_time)
                    ref.update(records.to_doc(record), option=unchanged)
                else:  # dropped meanwhile
                    ref.create(records.to_doc(record))
        except (gexc.FailedPrecondition, gexc.Conflict, gexc.NotFound):
            return self._get_record(IdempotentResponse, ref) or record
        self._count(1)
        return None

    def save_idempotency(self, record: IdempotentResponse) -> None:
        self._set(self._ref("api_idempotency", record.key), records.to_doc(record))

    def drop_idempotency(self, key: str) -> None:
        self._delete(self._ref("api_idempotency", key))
