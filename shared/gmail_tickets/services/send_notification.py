"""Deliver one outbox record: through the connected Gmail account while it may send, else through the relay.

At least once in, at most once per route out (see domain/outbox.py for the states):
1. Claim, in one transaction: a settled record is a duplicate event (acked, nothing sent); one another sender
   holds is retried later; one whose holder vanished mid-Gmail-send is first looked for in SENT by our
   Message-ID; otherwise the route is chosen now (domain/routing.py) from the connection, the rolling 24 h
   window and any block after Gmail's limit error.
2. Send, outside any transaction.
3. Settle, in one transaction: sent (and the recipients counted in the window when Gmail sent it), or queued
   again, or failed for the console to show.

Gmail's answers: the sending-limit error blocks Gmail for this account for a while (the console says "send
limit reached, relay in use") and this mail goes through the relay at once; a rate limit (Gmail refused it unseen)
is retried later; a 5xx or a dropped connection may have sent it, so the retry looks in SENT first; any other
refusal is permanent and the relay takes it. Relay: transient failures are retried until `send_max_attempts`,
then the record fails visibly; a refusal fails it at once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from gmail_tickets.domain import send_window
from gmail_tickets.domain.model import ConnectionStatus, OutgoingAttachment
from gmail_tickets.domain.outbox import Notification, NotificationState, SendWindow, Via
from gmail_tickets.domain.routing import RELAY, choose_route
from gmail_tickets.errors import (
    GmailTicketsError,
    MailboxError,
    RateLimited,
    RelayRejected,
    SendLimitReached,
    TransientError,
)
from gmail_tickets.mail.outbound import build_message
from gmail_tickets.ports import UnitOfWork
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.ingest import quarantine_event

log = logging.getLogger(__name__)

SEND_LIMIT_WARNING = "Send limit reached, relay in use"


class SendInProgress(TransientError):
    """Another sender holds this notification: look again later (the event is redelivered)."""


class SendRetry(TransientError):
    """The notification is queued again after a transient failure: deliver the event again later."""


Result = Literal["sent", "failed", "duplicate", "unknown"]


@dataclass(frozen=True)
class SendOutcome:
    notification_id: str
    result: Result
    via: Via | None = None
    reason: str = ""


@dataclass(frozen=True)
class _Claim:
    action: Literal["send", "check_sent", "done", "busy", "unknown"]
    notification: Notification | None = None


def send_notification(deps: Deps, notification_id: str) -> SendOutcome:
    """Deliver the record once. Raises TransientError (SendInProgress, SendRetry) to be called again later."""
    holder = f"{deps.holder}-send"
    claim = deps.store.atomically(lambda uow: _claim(deps, uow, notification_id, holder))
    if claim.action == "unknown":
        log.warning("outbound event for an unknown notification acknowledged", extra={"notification": notification_id})
        return SendOutcome(notification_id, "unknown")
    n = claim.notification
    assert n is not None
    if claim.action == "done":
        return SendOutcome(n.id, "duplicate", n.route)
    if claim.action == "busy":
        raise SendInProgress(f"notification {n.id} is being sent by {n.holder}")
    if claim.action == "check_sent":
        found = _find_in_sent(deps, n)
        if found is not None:
            _settle(deps, n.id, lambda rec, uow: _sent(deps, rec, uow, gmail_message_id=found))
            log.info("notification found in SENT after an interrupted send", extra={"notification": n.id})
            return SendOutcome(n.id, "sent", "gmail", "found in SENT after an interrupted send")
        log.info("notification not in SENT after an interrupted send", extra={"notification": n.id})
        if n.attempts > deps.settings.send_max_attempts:
            reason = f"Gmail kept failing ({n.attempts - 1} attempts); the mail is not in SENT."
            _settle(deps, n.id, lambda rec, uow: _to_relay(deps, rec, uow, reason))
            return _via_relay(deps, _reload(deps, n.id))
    if n.route == RELAY:
        return _via_relay(deps, n)
    return _via_gmail(deps, n)


# --------------------------------------------------------------------------- claim


def _claim(deps: Deps, uow: UnitOfWork, notification_id: str, holder: str) -> _Claim:
    n = uow.get_notification(notification_id)
    if n is None:
        return _Claim("unknown")
    now = deps.clock.now()
    if n.is_settled:
        return _Claim("done", n)
    lease = timedelta(seconds=deps.settings.send_lease_seconds)
    if n.state == NotificationState.SENDING:
        if not n.lease_expired(now):
            return _Claim("busy", n)
        if n.route == RELAY:
            # The relay keeps no record we could look in: it may or may not have the mail. An admin decides.
            n.fail("Interrupted while handing the mail to the relay: it may or may not have gone out. "
                   "Check the relay's log, then send it again from the console if needed.", now)
            uow.put_notification(n)
            return _Claim("done", n)
        n.claim("gmail", n.route_reason, holder=holder, now=now, lease=lease)
        uow.put_notification(n)
        return _Claim("check_sent", n)
    via, reason = _route(deps, uow, n, now)
    n.claim(via, reason, holder=holder, now=now, lease=lease)
    uow.put_notification(n)
    return _Claim("send", n)


def _route(deps: Deps, uow: UnitOfWork, n: Notification, now: datetime) -> tuple[Via, str]:
    if n.force_relay:
        return RELAY, n.route_reason or "Gmail refused this mail."
    connection = uow.get_connection(n.connection)
    if connection is None:
        return RELAY, "The Gmail connection no longer exists."
    window = uow.get_send_window(n.connection)
    route = choose_route(
        send_via_gmail=connection.send_via_gmail,
        connection_status=str(connection.status),
        has_attachments=n.has_attachments,
        recipients=len(n.recipients),
        sent_24h=window.sent(now),
        limit=send_window.limit_for(connection.account_kind, deps.settings.send_limit),
        limit_reached_until=window.blocked_until,
        now=now,
    )
    return route.via, route.reason


# --------------------------------------------------------------------------- Gmail


def _find_in_sent(deps: Deps, n: Notification) -> str | None:
    """The Gmail id of our mail in the account's SENT folder, by its Message-ID; None when it is not there."""
    mailbox = deps.mailbox_for(n.connection)
    for ref in mailbox.list_messages(f"rfc822msgid:{n.message_id}", label_ids=["SENT"], limit=1):
        return ref.id
    return None


def _via_gmail(deps: Deps, n: Notification) -> SendOutcome:
    raw = build_message(n.mail(), date=deps.clock.now())
    try:
        sent = deps.mailbox_for(n.connection).send(raw, thread_id=n.gmail_thread_id)
    except SendLimitReached:
        _settle(deps, n.id, lambda rec, uow: _blocked(deps, rec, uow))
        log.warning("Gmail sending limit reached: relay in use", extra={"connection": n.connection})
        return _via_relay(deps, _reload(deps, n.id))
    except RateLimited as exc:  # refused unseen: nothing went out
        return _gmail_retry(deps, n, f"Gmail is rate limiting: {exc}", unsure=False)
    except TransientError as exc:  # a 5xx or a dropped connection: it may have gone out
        return _gmail_retry(deps, n, f"Gmail did not answer clearly: {exc}", unsure=True)
    except MailboxError as exc:  # refused for good (revoked token, bad request, ...): the relay takes it
        reason = f"Gmail refused the mail: {exc}"
        _settle(deps, n.id, lambda rec, uow: _to_relay(deps, rec, uow, reason))
        return _via_relay(deps, _reload(deps, n.id))
    _settle(deps, n.id, lambda rec, uow: _sent(deps, rec, uow, gmail_message_id=sent.id))
    log.info("notification sent via Gmail", extra={"notification": n.id, "connection": n.connection,
                                                   "recipients": len(n.recipients)})
    return SendOutcome(n.id, "sent", "gmail", n.route_reason)


def _gmail_retry(deps: Deps, n: Notification, error: str, *, unsure: bool) -> SendOutcome:
    """Again later via Gmail; after the last attempt, via the relay (never dropped). `unsure`: the mail may
    have gone, so the record stays "sending" with its lease lapsed and the next attempt looks in SENT first."""
    now = deps.clock.now()
    if n.attempts >= deps.settings.send_max_attempts and not unsure:
        reason = f"Gmail kept failing ({n.attempts} attempts): {error}"
        _settle(deps, n.id, lambda rec, uow: _to_relay(deps, rec, uow, reason))
        return _via_relay(deps, _reload(deps, n.id))

    def again(rec: Notification, uow: UnitOfWork) -> None:
        if unsure:
            rec.last_error = error
            rec.lease_until = now
            rec.updated_at = now
        else:
            rec.retry_later(error, now)

    _settle(deps, n.id, again)
    raise SendRetry(f"notification {n.id}: {error}")


# --------------------------------------------------------------------------- relay


def _via_relay(deps: Deps, n: Notification) -> SendOutcome:
    now = deps.clock.now()
    if deps.relay is None:
        error = "No mail relay is configured, and this mail cannot go via Gmail: " + n.route_reason
        _settle(deps, n.id, lambda rec, uow: rec.fail(error, now))
        return SendOutcome(n.id, "failed", RELAY, error)
    try:
        files = tuple(OutgoingAttachment(a.filename, a.content_type, deps.blobs.get(a.blob_key))
                      for a in n.attachments)
        raw = build_message(n.mail(files), date=now)
        deps.relay.send(raw, n.from_address, n.recipients)
    except RelayRejected as exc:
        if getattr(exc, "accepted", None):  # RecipientsRefused: the others have their copy; do not resend
            note = f"Delivered, but the relay refused some recipients: {exc}"
            _settle(deps, n.id, lambda rec, uow: rec.mark_sent(deps.clock.now(), note=note))
            return SendOutcome(n.id, "sent", RELAY, note)
        error = f"The relay refused the mail: {exc}"
        _settle(deps, n.id, lambda rec, uow: rec.fail(error, deps.clock.now()))
        log.error("notification failed", extra={"notification": n.id, "error": error})
        return SendOutcome(n.id, "failed", RELAY, error)
    except (TransientError, KeyError) as exc:
        error = f"The relay could not take the mail: {exc}" if isinstance(exc, TransientError) else \
            f"An attachment is missing from storage: {exc}"
        if n.attempts >= deps.settings.send_max_attempts or isinstance(exc, KeyError):
            final = f"{error} (gave up after {n.attempts} attempt(s))"
            _settle(deps, n.id, lambda rec, uow: rec.fail(final, deps.clock.now()))
            log.error("notification failed", extra={"notification": n.id, "attempts": n.attempts})
            return SendOutcome(n.id, "failed", RELAY, final)
        _settle(deps, n.id, lambda rec, uow: rec.retry_later(error, deps.clock.now()))
        raise SendRetry(f"notification {n.id}: {error}") from None
    _settle(deps, n.id, lambda rec, uow: _sent(deps, rec, uow))
    log.info("notification sent via relay", extra={"notification": n.id, "recipients": len(n.recipients)})
    return SendOutcome(n.id, "sent", RELAY, n.route_reason)


# --------------------------------------------------------------------------- settle


def _settle(deps: Deps, notification_id: str, change: object) -> None:
    """Apply `change(record, uow)` to the stored record in one transaction, then store it."""

    def work(uow: UnitOfWork) -> None:
        rec = uow.get_notification(notification_id)
        if rec is None:
            return
        change(rec, uow)  # type: ignore[operator]
        uow.put_notification(rec)

    deps.store.atomically(work)


def _reload(deps: Deps, notification_id: str) -> Notification:
    rec = deps.store.get_notification(notification_id)
    if rec is None:  # pragma: no cover - records are never deleted
        raise GmailTicketsError(f"notification {notification_id} disappeared")
    return rec


def _sent(deps: Deps, rec: Notification, uow: UnitOfWork, *, gmail_message_id: str | None = None) -> None:
    """Sent: via Gmail its recipients now count against the account's rolling 24 h."""
    now = deps.clock.now()
    if rec.route == "gmail":
        window = uow.get_send_window(rec.connection)
        window.record(now, len(rec.recipients))
        uow.put_send_window(window)
    rec.mark_sent(now, gmail_message_id=gmail_message_id)


def _blocked(deps: Deps, rec: Notification, uow: UnitOfWork) -> None:
    """Gmail answered its limit error: the relay for this account until the block lapses, and this mail too."""
    now = deps.clock.now()
    window: SendWindow = uow.get_send_window(rec.connection)
    window.blocked_until = now + timedelta(seconds=deps.settings.send_limit_block_seconds)
    uow.put_send_window(window)
    _move_to_relay(rec, "Gmail answered that its daily sending limit is reached.", now)


def _to_relay(deps: Deps, rec: Notification, uow: UnitOfWork, reason: str) -> None:
    _move_to_relay(rec, reason, deps.clock.now())


def _move_to_relay(rec: Notification, reason: str, now: datetime) -> None:
    rec.force_relay = True
    rec.route = RELAY
    rec.route_reason = reason
    rec.updated_at = now
    # still "sending", still held: the same call goes on to the relay


def send_warning(window: SendWindow, *, status: ConnectionStatus | str, send_via_gmail: bool, limit: int,
                 now: datetime) -> str | None:
    """The console's warning for an account, or None."""
    if send_via_gmail and status == ConnectionStatus.CONNECTED and window.limit_reached(now, limit):
        return SEND_LIMIT_WARNING
    return None


def send_event(deps: Deps, data: bytes) -> SendOutcome | None:
    """One outbound-mail event: {"notification": id}. A malformed one is quarantined with its bytes and acked."""
    try:
        body = json.loads(data)
        record_id = body["notification"] if isinstance(body, dict) else None
    except (ValueError, UnicodeDecodeError, KeyError):
        record_id = None
    if not isinstance(record_id, str) or not record_id:
        quarantine_event(deps, data, "outbound-mail event without a notification id")
        return None
    return send_notification(deps, record_id)
