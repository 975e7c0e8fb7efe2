"""google-auth credentials of one mailbox whose access token lives in the shared `MailboxTokens` cache, and the
refresh grant that mints a new one.

google-auth asks credentials for a token before each request (`before_request`), and refreshes them after a 401
(AuthorizedHttp) or for a batch item answered 401 (googleapiclient). Both paths end here: the cached token when
there is one, else `MailboxTokens.fresh`, which reads the refresh token once and refreshes once for every
thread. The google-auth errors stay google-auth errors, so gmail_errors translates them as before
(invalid_grant → TokenRevoked).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any

from google.auth import credentials as google_credentials
from google.auth import exceptions as auth_exceptions

from gmail_tickets.adapters.mailbox_tokens import MailboxTokens
from gmail_tickets.ports import GMAIL_SCOPE


class CachedTokenCredentials(google_credentials.Credentials):
    """One mailbox's credentials; several threads may use one object (each reads the shared cache)."""

    def __init__(self, address: str, tokens: MailboxTokens) -> None:
        super().__init__()
        self._address = address
        self._tokens = tokens

    @property
    def expired(self) -> bool:
        return self._tokens.cached(self._address) is None

    @property
    def valid(self) -> bool:
        return not self.expired

    def refresh(self, request: Any) -> None:
        """A token for the next attempt. After a 401 `self.token` is the one Gmail refused: it is not reused."""
        self.token = self._tokens.fresh(self._address, request, rejected=self.token)

    def before_request(self, request: Any, method: str, url: str, headers: dict[str, str]) -> None:
        self.token = self._tokens.cached(self._address) or self._tokens.fresh(self._address, request)
        self.apply(headers)

    def apply(self, headers: dict[str, str], token: str | None = None) -> None:
        headers["authorization"] = f"Bearer {token or self._tokens.cached(self._address) or self.token}"


class GoogleTokenRefresher:
    """The OAuth refresh grant for the deployer's client, through google-auth's own code. The client secret is
    read once and kept; when Google says the client is wrong (invalid_client: the secret was rotated) it is read
    again and the refresh tried once more."""

    def __init__(self, client_id: str, client_secret: Callable[[], str | None], token_uri: str) -> None:
        self._client_id = client_id
        self._read_secret = client_secret
        self._token_uri = token_uri
        self._secret: str | None = None
        self._lock = threading.Lock()

    def __call__(self, request: Any, refresh_token: str) -> tuple[str, float]:
        known = self._client_secret(reread=False)
        try:
            return self._grant(request, refresh_token, known)
        except auth_exceptions.RefreshError as exc:
            if "invalid_client" not in str(exc.args[0] if exc.args else "") or known != self._secret:
                raise
            newer = self._client_secret(reread=True)
            if newer == known:
                raise
            return self._grant(request, refresh_token, newer)

    def _client_secret(self, *, reread: bool) -> str:
        with self._lock:
            if self._secret is None or reread:
                self._secret = self._read_secret() or ""
            return self._secret

    def _grant(self, request: Any, refresh_token: str, client_secret: str) -> tuple[str, float]:
        from google.oauth2 import _client

        access, _, expiry, _ = _client.refresh_grant(
            request, self._token_uri, refresh_token, self._client_id, client_secret, scopes=[GMAIL_SCOPE])
        if expiry is None:  # Google always says; a server that does not gets the usual hour
            return access, time.time() + 3600
        return access, expiry.replace(tzinfo=UTC).timestamp()
