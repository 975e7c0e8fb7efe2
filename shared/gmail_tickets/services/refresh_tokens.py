"""Refresh tokens kept as one secret per connected mailbox (`secret_names.refresh_token`): the `RefreshTokens`
store the product uses. docs/tokens.md weighs this against tokens sealed under one Cloud KMS key in the store,
and says why the per-mailbox secrets stay: with access tokens cached (adapters/mailbox_tokens.py) a secret is
read about once an hour per mailbox and instance, not once a sync."""

from __future__ import annotations

from gmail_tickets import secret_names
from gmail_tickets.ports import Secrets


class SecretRefreshTokens:
    """`RefreshTokens` on the Secrets port."""

    def __init__(self, secrets: Secrets) -> None:
        self._secrets = secrets

    def get(self, address: str) -> str | None:
        return self._secrets.get(secret_names.refresh_token(address))

    def put(self, address: str, token: str) -> None:
        self._secrets.put(secret_names.refresh_token(address), token)

    def delete(self, address: str) -> None:
        self._secrets.delete(secret_names.refresh_token(address))
