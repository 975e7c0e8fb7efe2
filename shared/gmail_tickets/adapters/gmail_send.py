"""messages.send, with a short retry: longer waits are the outbox's job."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

from gmail_tickets.adapters.gmail_transport import GmailTransport
from gmail_tickets.ports import SentMessage

SEND_ATTEMPTS = 2  # messages.send: one retry on a rate limit (a blip), at most …
# … after this long. A longer Retry-After ends the call at once with RateLimited carrying it: the sender hands the
# notification back (retrying, until the sweep brings it) and its worker serves others, instead of sleeping.
SEND_MAX_RETRY_AFTER = 2.0


def send(transport: GmailTransport, raw: bytes, thread_id: str | None = None) -> SentMessage:
    """Send RFC 822 bytes. Retried only on rate limits (Gmail rejected it unseen), and briefly: the sender's
    worker (and its renewed claim) should not sit out a long wait; longer waits are the outbox's job. A 5xx or a
    dropped connection is not retried: the mail may have gone out."""
    body: dict[str, Any] = {"raw": base64.urlsafe_b64encode(raw).decode("ascii")}
    if thread_id:
        body["threadId"] = thread_id
    policy = transport.retry
    retry = replace(policy, max_attempts=min(policy.max_attempts, SEND_ATTEMPTS),
                    max_retry_after=min(policy.max_retry_after, SEND_MAX_RETRY_AFTER))
    data = transport.call("messages", "send", retry_server_errors=False, retry=retry, body=body)
    return SentMessage(id=str(data["id"]), thread_id=str(data.get("threadId", "")))
