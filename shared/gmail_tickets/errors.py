"""Errors that cross the port boundary. Adapters translate their library's errors into these,
so services decide on meaning (retry, skip, disconnect, fall back) and never on HTTP codes."""

from datetime import datetime


class GmailTicketsError(Exception):
    """Base of everything this package raises on purpose."""


class TransientError(GmailTicketsError):
    """Worth trying again later: the platform retries the event, the sweep retries the mailbox."""


class RetryLater(TransientError):
    """Try again after `retry_after` seconds (None: the platform's own backoff). Raised instead of sleeping on a
    long wait, so the worker (an embedded broker thread, a function instance) is free for other work meanwhile:
    the embedded broker reschedules the message on a timer, Pub/Sub redelivers it with its backoff."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DocumentsLocked(TransientError):
    """The store kept this one unit's documents locked past a few waits: most likely a transaction of a killed
    process, which holds its locks until it idles out (~60 s on Firestore's pessimistic mode). Other work goes on;
    this unit is tried again later (services/sync_mailbox.py holds back one mail and its thread, not the mailbox)."""


class MailHeldBack(RetryLater):
    """A sync recorded what it could but held back mail whose documents were locked (DocumentsLocked), and did not
    move its cursor past them: the event comes back after `retry_after` to record them."""


class ComeBackLater(RetryLater):
    """Not a failure: the event found its work held by someone else and watches for that holder's end (a busy
    sync lease, see domain/lease.py). Redelivered after `retry_after` without using up the event's attempts."""


class MailboxError(GmailTicketsError):
    """Gmail refused for a reason retrying will not fix (bad request, permission denied)."""


class HistoryExpired(MailboxError):
    """history.list answered 404 for the stored cursor: the mailbox needs a full sync."""


class MessageGone(MailboxError):
    """messages.get answered 404: the mail was deleted after the history record; skip it."""


class TokenRevoked(MailboxError):
    """The refresh token no longer works (invalid_grant, or 401 after a refresh): an admin must reconnect."""


class SendLimitReached(MailboxError):
    """Gmail's rolling 24-hour sending limit is reached: send through the relay instead, do not retry.
    `retry_at` is when Gmail said it would take mail again ("Retry after <time>" in its message), if it said."""

    def __init__(self, message: str, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class RateLimited(RetryLater):
    """Gmail kept answering 429 / rate-limit 403 after our short backoff ran out (or asked for a longer wait)."""


class AlreadyRecorded(GmailTicketsError):
    """A ledger entry (or other create-if-absent record) exists already: someone else did this work."""


class PoisonEvent(GmailTicketsError):
    """An event that can never succeed (undecodable, malformed): ack it and quarantine it."""


class OAuthRefused(GmailTicketsError):
    """Google's OAuth endpoint answered with an error (invalid_grant, invalid_client, …). `error` is Google's
    code, safe to show; the message never contains a token."""

    def __init__(self, error: str, description: str = "") -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error


class ConnectRefused(GmailTicketsError):
    """Connecting a Gmail account was refused; the message is meant for the admin and names no secret."""


class ActionRefused(GmailTicketsError):
    """An account-management action was refused (e.g. disconnecting the default address); for the admin."""


class RelayRejected(GmailTicketsError):
    """The mail relay refused a message for good (an SMTP 5xx answer): retrying will not help."""


class DeliveryUncertain(GmailTicketsError):
    """The mail relay had the whole message but the connection failed before it answered: it may or may not have
    taken it. Sending again could deliver it twice, so the caller must not retry blindly."""
