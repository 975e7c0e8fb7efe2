"""Google's OAuth endpoints: code exchange, revocation, which account a token opens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

GMAIL_SCOPE = "https://www.googleapis.com/auth/gmail.modify"
"""Read, label and send: the one scope we ask for (a restricted scope; see docs/deploy.md)."""


@dataclass(frozen=True)
class TokenGrant:
    """Google's answer to a code exchange. Holds tokens: never log it, never put it in an error."""

    access_token: str
    refresh_token: str | None
    scopes: tuple[str, ...] = (GMAIL_SCOPE,)
    refresh_token_expires_in: int | None = None  # only for OAuth clients in "Testing" status

    def __repr__(self) -> str:
        return f"TokenGrant(scopes={self.scopes!r}, refresh_token_expires_in={self.refresh_token_expires_in!r})"


class OAuthClient(Protocol):
    """Google's token and revocation endpoints (adapters.google_oauth.GoogleOAuth)."""

    def exchange_code(self, code: str, *, redirect_uri: str, code_verifier: str) -> TokenGrant:
        """Raises OAuthRefused for Google's 4xx answers, TransientError when it cannot be reached."""

    def revoke(self, token: str) -> bool:
        """Revoke the grant behind a token; False when it was already invalid."""

    def account_of(self, access_token: str) -> str:
        """The Gmail address an access token opens."""


class RefreshTokens(Protocol):
    """Where each connected mailbox's refresh token is kept, by address (services/refresh_tokens.py: one secret
    per mailbox). Values are tokens: never log them, never put them in an error."""

    def get(self, address: str) -> str | None: ...

    def put(self, address: str, token: str) -> None:
        """Keep a new token; from now on it is the one used (a cached access token of the old one is dropped)."""

    def delete(self, address: str) -> None:
        """Forget the token (disconnect, delete); a missing one is fine."""
