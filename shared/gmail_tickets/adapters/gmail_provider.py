"""The `MailboxProvider` for real Gmail: a Gmail adapter per connected address, built from the refresh token kept
in Secrets. The Gmail client library is imported on the first call, not with this module (cold start)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from gmail_tickets import secret_names
from gmail_tickets.errors import TokenRevoked
from gmail_tickets.ports import Mailbox, Secrets

if TYPE_CHECKING:
    from gmail_tickets.adapters.gmail_retry import RetryPolicy


class GmailMailboxProvider:
    """Gives a Gmail adapter per connected address, built from the refresh token kept in Secrets.

    Adapters are cached per thread (httplib2 is not thread-safe), so access tokens are refreshed once an hour,
    not once a call. Each thread keeps at most `max_clients` (least recently used dropped first: a client holds
    ~0.4 MB, and one instance may sync thousands of mailboxes), and one per address: a new refresh token
    (a reconnect) replaces the old one's client."""

    def __init__(self, secrets: Secrets, client_id: str, token_uri: str, root_url: str | None,
                 retry: RetryPolicy | None = None, max_clients: int = 64) -> None:
        self._secrets = secrets
        self._max_clients = max(1, max_clients)
        self._retry = retry
        self._client_id = client_id
        self._token_uri = token_uri
        self._root_url = root_url
        self._local = threading.local()

    def __call__(self, address: str) -> Mailbox:
        cache: OrderedDict[str, tuple[str, Mailbox]] = self._local.__dict__.setdefault("cache", OrderedDict())
        token = self._secrets.get(secret_names.refresh_token(address))
        if token is None:
            raise TokenRevoked(f"no refresh token stored for {address}")
        cached = cache.get(address)
        if cached is not None and cached[0] == token:
            cache.move_to_end(address)
            return cached[1]
        from gmail_tickets.adapters.gmail_api import GmailMailbox
        from gmail_tickets.adapters.gmail_client import oauth_credentials

        client_secret = self._secrets.get(secret_names.OAUTH_CLIENT_SECRET) or ""
        credentials = oauth_credentials(token, self._client_id, client_secret, self._token_uri)
        mailbox = GmailMailbox(address, credentials, root_url=self._root_url, retry=self._retry)
        cache[address] = (token, mailbox)
        cache.move_to_end(address)
        while len(cache) > self._max_clients:
            cache.popitem(last=False)
        return mailbox

    def cached_clients(self) -> int:
        """Clients this thread keeps (for tests and the bench)."""
        return len(self._local.__dict__.get("cache", ()))
