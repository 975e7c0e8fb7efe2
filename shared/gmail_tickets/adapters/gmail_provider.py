"""The `MailboxProvider` for real Gmail: a Gmail adapter per connected address, whose access token comes from the
shared `MailboxTokens` cache (refresh tokens read from their store only to mint a new access token). The Gmail
client library is imported on the first call, not with this module (cold start)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from gmail_tickets.ports import Mailbox

if TYPE_CHECKING:
    from gmail_tickets.adapters.gmail_retry import RetryPolicy
    from gmail_tickets.adapters.mailbox_tokens import MailboxTokens


class GmailMailboxProvider:
    """Gives a Gmail adapter per connected address.

    Adapters are cached per thread (httplib2 is not thread-safe); their credentials read the access token from
    `tokens`, shared by every thread, so a mailbox's token is refreshed once for the process, and a reconnect's
    new refresh token (`tokens.put`) is used at once by every adapter of it."""

    def __init__(self, tokens: MailboxTokens, root_url: str | None, retry: RetryPolicy | None = None) -> None:
        self.tokens = tokens
        self._retry = retry
        self._root_url = root_url
        self._local = threading.local()

    def __call__(self, address: str) -> Mailbox:
        cache: dict[str, Mailbox] = self._local.__dict__.setdefault("cache", {})
        self.tokens.prefetch(address)  # TokenRevoked now when no refresh token is stored; free when one is cached
        if address not in cache:
            from gmail_tickets.adapters.cached_credentials import CachedTokenCredentials
            from gmail_tickets.adapters.gmail_api import GmailMailbox

            credentials = CachedTokenCredentials(address, self.tokens)
            cache[address] = GmailMailbox(address, credentials, root_url=self._root_url, retry=self._retry)
        return cache[address]
