"""Where API tokens and idempotency records are kept (domain/api_access.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from gmail_tickets.domain.api_access import ApiToken, IdempotentResponse


class ApiAccessRepo(Protocol):
    def save_api_token(self, token: ApiToken) -> None: ...

    def get_api_token(self, token_id: str) -> ApiToken | None: ...

    def list_api_tokens(self, agent: str | None = None) -> list[ApiToken]:
        """One agent's tokens (all agents' with None), newest first."""
        ...

    def claim_idempotency(self, record: IdempotentResponse, *, take_over_before: datetime) -> IdempotentResponse | None:
        """Store `record` unless its key is taken (atomically); None when stored, else the record already there.
        A claim left unanswered since before `take_over_before` (`abandoned`) is replaced, as atomically: of two
        retries racing for it, one takes it over and the other gets the new claim."""
        ...

    def save_idempotency(self, record: IdempotentResponse) -> None: ...

    def drop_idempotency(self, key: str) -> None:
        """Forget a claim whose request failed, so a retry may try again."""
        ...
