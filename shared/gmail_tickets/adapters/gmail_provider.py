"""The `MailboxProvider` for real Gmail: a Gmail adapter per connected address, whose access token comes from the
shared `MailboxTokens` cache (refresh tokens read from their store only to mint a new access token). The Gmail
client library is imported on the first call, not with this module (cold start)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from gmail_tickets.ports import Mailbox

if TYPE_CHECKING:
    from gmail_tickets.adapters.gmail_api import GmailMailbox
    from gmail_tickets.adapters.gmail_retry import RetryPolicy
    from gmail_tickets.adapters.mailbox_tokens import MailboxTokens

CLIENTS_PER_THREAD = 64  # default; a Gmail client holds ~0.4 MB (its API description): 8 threads x 64 = 0.2 GB


class GmailMailboxProvider:
    """Gives a Gmail adapter per connected address.

    Adapters are cached per thread (httplib2 is not thread-safe), the `max_clients` most recently used
    (GT_GMAIL_CLIENT_CACHE); their credentials read the access token from `tokens`, shared by every thread, so a
    mailbox's token is refreshed once for the process, and a reconnect's new refresh token (`tokens.put`) is used
    at once by every adapter of it. Dropping an adapter costs only rebuilding it: the token stays cached."""

    def __init__(self, tokens: MailboxTokens, root_url: str | None, retry: RetryPolicy | None = None,
                 max_clients: int = CLIENTS_PER_THREAD) -> None:
        self.tokens = tokens
        self.max_clients = max(1, max_clients)
        self._retry = retry
        self._root_url = root_url
        self._local = threading.local()

    def __call__(self, address: str) -> Mailbox:
        cache: OrderedDict[str, GmailMailbox] = self._local.__dict__.setdefault("cache", OrderedDict())
        self.tokens.prefetch(address)  # TokenRevoked now when no refresh token is stored; free when one is cached
        if address in cache:
            cache.move_to_end(address)
            return cache[address]
        from gmail_tickets.adapters.cached_credentials import CachedTokenCredentials
        from gmail_tickets.adapters.gmail_api import GmailMailbox

        credentials = CachedTokenCredentials(address, self.tokens)
        cache[address] = mailbox = GmailMailbox(address, credentials, root_url=self._root_url, retry=self._retry)
        while len(cache) > self.max_clients:
            _, dropped = cache.popitem(last=False)
            dropped.close()  # this thread's connections: the only ones a per-thread adapter has
        return mailbox

    def cached_clients(self) -> int:
        """Clients this thread keeps (for tests and the bench)."""
        return len(self._local.__dict__.get("cache", ()))
