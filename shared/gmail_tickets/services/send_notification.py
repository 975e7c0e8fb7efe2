"""Deliver one outbox record: through the connected Gmail account while it may send, else through the relay.

At least once in, at most once per route out (see domain/outbox.py for the states):
1. Claim, in one transaction: a settled record is a duplicate event (acked, nothing sent); one another sender
   holds is retried later; one whose holder vanished mid-Gmail-send is first looked for in SENT by our
   Message-ID; otherwise the route is chosen now (domain/routing.py) from the connection, the rolling 24 h
   window and any block after Gmail's limit error.
2. Send, outside any transaction. The lease outlasts any send (the Gmail adapter retries a send briefly; the
   function's timeout is shorter than the lease), so no second sender starts while the first can still send.
3. Settle, in one transaction, only while this sender still holds the record: sent (and the recipients counted
   in the window when Gmail sent it), or queued again, or failed for the console to show. A sender that lost
   the record to another writes nothing.

Gmail's answers: the sending-limit error blocks Gmail for this account for a while (the console says "send
limit reached, relay in use") and this mail goes through the relay at once; a rate limit (Gmail refused it unseen)
is retried later; a 5xx or a dropped connection may have sent it, so the record stays held until Gmail's search
can show it and the retry looks in SENT first; a revoked token disconnects the account and the relay takes the
mail; any other refusal is permanent and the relay takes it. Relay (with its own count of attempts): transient
failures are retried until `send_max_attempts`, then the record fails visibly; a refusal fails it at once; a
connection lost after the whole message was sent fails it visibly too (it may have been taken).
A mail that cannot be built (an unusable address) fails at once with the reason.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from gmail_tickets.domain import send_window
from gmail_tickets.domain.model import Connection, ConnectionStatus, OutgoingAttachment
from gmail_tickets.domain.outbox import Notification, NotificationState, SendWindow, Via
from gmail_tickets.domain.routing import RELAY, choose_route
from gmail_tickets.errors import (
    DeliveryUncertain,
    GmailTicketsError,
    MailboxError,
    RateLimited,
    RelayRejected,
    SendLimitReached,
    TokenRevoked,
    TransientError,
)
from gmail_tickets.mail.outbound import build_message
from gmail_tickets.ports import UnitOfWork
from gmail_tickets.services.connection_health import mark_connection
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.ingest import quarantine_event

log = logging.getLogger(__name__)

SEND_LIMIT_WARNING = "Send limit reached, relay in use"
UNKNOWN_RELAY_OUTCOME = ("Interrupted while handing the mail to the relay: it may or may not have gone out. "
                         "Check the relay's log, then send it again from the console if needed.")
LOST_LEASE = "another sender took this notification over"


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
    holder = f"{deps.holder}-send-{uuid.uuid4().hex[:8]}"  # this invocation: two in one process are two holders
    peek = deps.store.get_notification(notification_id)
    facts = _Facts.read(deps, peek.connection) if peek is not None else None
    claim = deps.store.atomically(lambda uow: _claim(deps, uow, notification_id, holder, facts))
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
        return _settle_interrupted(deps, n)
    return _deliver(deps, n)


def _deliver(deps: Deps, n: Notification) -> SendOutcome:
    return _via_relay(deps, n) if n.route == RELAY else _via_gmail(deps, n)


# --------------------------------------------------------------------------- claim


@dataclass
class _Facts:
    """What the route is chosen from, read OUTSIDE the claim transaction: the connection document is written by
    every sync and the send window by every Gmail send, so reading them in the transaction would make claims
    contend with both. The limit is backed by Gmail's own error, so a count a moment old is good enough."""

    connection: Connection | None
    window: SendWindow

    @classmethod
    def read(cls, deps: Deps, address: str) -> _Facts:
        return cls(deps.store.get_connection(address), deps.store.get_send_window(address))


def _claim(deps: Deps, uow: UnitOfWork, notification_id: str, holder: str, facts: _Facts | None) -> _Claim:
    n = uow.get_notification(notification_id)
    if n is None or facts is None:
        return _Claim("unknown")
    now = deps.clock.now()
    if n.is_settled:
        return _Claim("done", n)
    lease = _lease(deps)
    if n.state == NotificationState.SENDING:
        if not n.lease_expired(now):
            return _Claim("busy", n)
        if n.route == RELAY:
            # The relay keeps no record we could look in: it may or may not have the mail. An admin decides.
            n.fail(UNKNOWN_RELAY_OUTCOME, now)
            uow.put_notification(n)
            return _Claim("done", n)
        n.claim("gmail", n.route_reason, holder=holder, now=now, lease=lease)
        uow.put_notification(n)
        return _Claim("check_sent", n)
    via, reason = _route(deps, facts, n, now)
    n.claim(via, reason, holder=holder, now=now, lease=lease)
    uow.put_notification(n)
    return _Claim("send", n)


def _lease(deps: Deps) -> timedelta:
    return timedelta(seconds=deps.settings.send_lease_seconds)


def _route(deps: Deps, facts: _Facts, n: Notification, now: datetime) -> tuple[Via, str]:
    if n.force_relay:
        return RELAY, n.route_reason or "Gmail refused this mail."
    connection, window = facts.connection, facts.window
    if connection is None:
        return RELAY, "The Gmail connection no longer exists."
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


# --------------------------------------------------------------------------- a Gmail send that was interrupted


def _settle_interrupted(deps: Deps, n: Notification) -> SendOutcome:
    """The previous sender vanished or got no clear answer: our Message-ID in SENT means it went; otherwise the
    mail is routed afresh (the admin may have turned Gmail off meanwhile, or the limit been reached)."""
    try:
        found = _find_in_sent(deps, n)
    except TransientError as exc:
        if n.attempts > deps.settings.send_max_attempts:
            return _to_relay_and_send(deps, n, f"Gmail kept failing ({n.attempts - 1} attempts), and its SENT "
                                               f"folder could not be searched: {exc}")
        return _gmail_retry(deps, n, f"could not search SENT: {exc}", unsure=True)
    except MailboxError as exc:
        return _to_relay_and_send(deps, n, f"Gmail's SENT folder could not be searched after an interrupted "
                                           f"send ({exc}); sent through the relay instead.")
    if found is not None:
        deps.store.record_gmail_sends(n.connection, deps.clock.now(), len(n.recipients))  # may count twice: high
        if not _settle(deps, n, lambda rec, uow: _sent(deps, rec, uow, gmail_message_id=found)):
            return SendOutcome(n.id, "duplicate", "gmail", LOST_LEASE)
        log.info("notification found in SENT after an interrupted send", extra={"notification": n.id})
        return SendOutcome(n.id, "sent", "gmail", "found in SENT after an interrupted send")
    log.info("notification not in SENT after an interrupted send", extra={"notification": n.id})
    if n.attempts > deps.settings.send_max_attempts:
        return _to_relay_and_send(deps, n, f"Gmail kept failing ({n.attempts - 1} attempts); the mail is not in "
                                           "SENT.")
    rerouted = _reroute(deps, n)
    if rerouted is None:
        return SendOutcome(n.id, "duplicate", None, LOST_LEASE)
    return _deliver(deps, rerouted)


def _reroute(deps: Deps, n: Notification) -> Notification | None:
    now = deps.clock.now()
    facts = _Facts.read(deps, n.connection)

    def change(rec: Notification, uow: UnitOfWork) -> None:
        rec.route, rec.route_reason = _route(deps, facts, rec, now)
        rec.lease_until = now + _lease(deps)

    return _reload(deps, n.id) if _settle(deps, n, change) else None


def _find_in_sent(deps: Deps, n: Notification) -> str | None:
    """The Gmail id of our mail in the account's SENT folder, by its Message-ID; None when it is not there."""
    mailbox = deps.mailbox_for(n.connection)
    for ref in mailbox.list_messages(f"rfc822msgid:{n.message_id}", label_ids=["SENT"], limit=1):
        return ref.id
    return None


# --------------------------------------------------------------------------- Gmail


def _via_gmail(deps: Deps, n: Notification) -> SendOutcome:
    try:
        raw = build_message(n.mail(), date=deps.clock.now())
    except ValueError as exc:
        return _fail(deps, n, f"The mail cannot be built: {exc}")
    try:
        sent = deps.mailbox_for(n.connection).send(raw, thread_id=n.gmail_thread_id)
    except SendLimitReached as exc:
        retry_at = exc.retry_at
        if not _settle(deps, n, lambda rec, uow: _blocked(deps, rec, uow, retry_at)):
            return SendOutcome(n.id, "duplicate", None, LOST_LEASE)
        log.warning("Gmail sending limit reached: relay in use", extra={"connection": n.connection})
        return _via_relay(deps, _reload(deps, n.id))
    except RateLimited as exc:  # refused unseen: nothing went out
        return _gmail_retry(deps, n, f"Gmail is rate limiting: {exc}", unsure=False)
    except TransientError as exc:  # a 5xx or a dropped connection: it may have gone out
        return _gmail_retry(deps, n, f"Gmail did not answer clearly: {exc}", unsure=True)
    except TokenRevoked as exc:
        mark_connection(deps, n.connection, ConnectionStatus.DISCONNECTED, f"Google access was revoked: {exc}")
        return _to_relay_and_send(deps, n, f"Google access to {n.connection} was revoked; the relay took it.")
    except MailboxError as exc:  # refused for good (bad request, ...): the relay takes it
        return _to_relay_and_send(deps, n, f"Gmail refused the mail: {exc}")
    # Counted before the record is settled: a crash between the two counts it again later (errs high, as the
    # window must), never not at all.
    deps.store.record_gmail_sends(n.connection, deps.clock.now(), len(n.recipients))
    if not _settle(deps, n, lambda rec, uow: _sent(deps, rec, uow, gmail_message_id=sent.id)):
        return SendOutcome(n.id, "duplicate", "gmail", LOST_LEASE)
    log.info("notification sent via Gmail", extra={"notification": n.id, "connection": n.connection,
                                                   "recipients": len(n.recipients)})
    return SendOutcome(n.id, "sent", "gmail", n.route_reason)


def _gmail_retry(deps: Deps, n: Notification, error: str, *, unsure: bool) -> SendOutcome:
    """Again later via Gmail; after the last attempt, via the relay (never dropped). `unsure`: the mail may
    have gone, so the record stays "sending" and the next attempt, once Gmail's search can show it, looks in
    SENT first."""
    now = deps.clock.now()
    if n.attempts >= deps.settings.send_max_attempts and not unsure:
        return _to_relay_and_send(deps, n, f"Gmail kept failing ({n.attempts} attempts): {error}")

    def again(rec: Notification, uow: UnitOfWork) -> None:
        if unsure:
            rec.last_error = error
            rec.lease_until = now + timedelta(seconds=deps.settings.send_recheck_seconds)
            rec.updated_at = now
        else:
            rec.retry_later(error, now)

    if not _settle(deps, n, again):
        return SendOutcome(n.id, "duplicate", None, LOST_LEASE)
    raise SendRetry(f"notification {n.id}: {error}")


def _to_relay_and_send(deps: Deps, n: Notification, reason: str) -> SendOutcome:
    if not _settle(deps, n, lambda rec, uow: _move_to_relay(deps, rec, reason)):
        return SendOutcome(n.id, "duplicate", None, LOST_LEASE)
    return _via_relay(deps, _reload(deps, n.id))


# --------------------------------------------------------------------------- relay


def _via_relay(deps: Deps, n: Notification) -> SendOutcome:
    now = deps.clock.now()
    if deps.relay is None:
        return _fail(deps, n, "No mail relay is configured, and this mail cannot go via Gmail: " + n.route_reason)
    try:
        files = tuple(OutgoingAttachment(a.filename, a.content_type, deps.blobs.get(a.blob_key))
                      for a in n.attachments)
    except KeyError as exc:
        return _fail(deps, n, f"An attachment is missing from storage: {exc}")
    try:
        raw = build_message(n.mail(files), date=now)
    except ValueError as exc:
        return _fail(deps, n, f"The mail cannot be built: {exc}")
    try:
        deps.relay.send(raw, n.from_address, n.recipients)
    except DeliveryUncertain as exc:
        return _fail(deps, n, f"{exc}. Check the relay's log, then send it again from the console if needed.")
    except RelayRejected as exc:
        if getattr(exc, "accepted", None):  # RecipientsRefused: the others have their copy; do not resend
            note = f"Delivered, but the relay refused some recipients: {exc}"
            if not _settle(deps, n, lambda rec, uow: rec.mark_sent(deps.clock.now(), note=note)):
                return SendOutcome(n.id, "duplicate", RELAY, LOST_LEASE)
            return SendOutcome(n.id, "sent", RELAY, note)
        return _fail(deps, n, f"The relay refused the mail: {exc}")
    except TransientError as exc:
        error = f"The relay could not take the mail: {exc}"
        if n.attempts >= deps.settings.send_max_attempts:
            return _fail(deps, n, f"{error} (gave up after {n.attempts} attempt(s))")
        if not _settle(deps, n, lambda rec, uow: rec.retry_later(error, deps.clock.now())):
            return SendOutcome(n.id, "duplicate", RELAY, LOST_LEASE)
        raise SendRetry(f"notification {n.id}: {error}") from None
    if not _settle(deps, n, lambda rec, uow: _sent(deps, rec, uow)):
        return SendOutcome(n.id, "duplicate", RELAY, LOST_LEASE)
    log.info("notification sent via relay", extra={"notification": n.id, "recipients": len(n.recipients)})
    return SendOutcome(n.id, "sent", RELAY, n.route_reason)


# --------------------------------------------------------------------------- settle


def _settle(deps: Deps, n: Notification, change: Callable[[Notification, UnitOfWork], None]) -> bool:
    """Apply `change` to the stored record in one transaction, if this sender still holds it. False when another
    sender took it over (this one outlived its lease) or it was settled meanwhile: then nothing is written."""

    def work(uow: UnitOfWork) -> bool:
        rec = uow.get_notification(n.id)
        if rec is None or rec.state != NotificationState.SENDING or rec.holder != n.holder:
            return False
        change(rec, uow)
        uow.put_notification(rec)
        return True

    if deps.store.atomically(work):
        return True
    log.warning("notification taken over by another sender; leaving it to them",
                extra={"notification": n.id, "holder": n.holder})
    return False


def _fail(deps: Deps, n: Notification, error: str) -> SendOutcome:
    if not _settle(deps, n, lambda rec, uow: rec.fail(error, deps.clock.now())):
        return SendOutcome(n.id, "duplicate", n.route, LOST_LEASE)
    log.error("notification failed", extra={"notification": n.id, "route": n.route, "attempts": n.attempts})
    return SendOutcome(n.id, "failed", n.route, error)


def _reload(deps: Deps, notification_id: str) -> Notification:
    rec = deps.store.get_notification(notification_id)
    if rec is None:  # pragma: no cover - records are never deleted
        raise GmailTicketsError(f"notification {notification_id} disappeared")
    return rec


def _sent(deps: Deps, rec: Notification, uow: UnitOfWork, *, gmail_message_id: str | None = None) -> None:
    """Sent. (Via Gmail its recipients were counted just before, outside this transaction: see record_gmail_sends.)"""
    rec.mark_sent(deps.clock.now(), gmail_message_id=gmail_message_id)


def _blocked(deps: Deps, rec: Notification, uow: UnitOfWork, retry_at: datetime | None) -> None:
    """Gmail answered its limit error: the relay for this account until the block lapses, and this mail too.
    The block lasts until Gmail's own "Retry after" (kept between a minute and a day: its times are known to be
    off at times), or `send_limit_block_seconds` when it named none."""
    now = deps.clock.now()
    window: SendWindow = uow.get_send_window(rec.connection)
    default = now + timedelta(seconds=deps.settings.send_limit_block_seconds)
    until = default if retry_at is None else min(max(retry_at, now + timedelta(minutes=1)), now + timedelta(days=1))
    window.blocked_until = until
    uow.put_send_window(window)
    _move_to_relay(deps, rec, "Gmail answered that its daily sending limit is reached.")


def _move_to_relay(deps: Deps, rec: Notification, reason: str) -> None:
    """The relay only, from now on; still held by this sender, with a fresh lease and the relay's own count of
    attempts (Gmail's failures do not use up the relay's retries)."""
    now = deps.clock.now()
    rec.force_relay = True
    rec.route = RELAY
    rec.route_reason = reason
    rec.attempts = 1
    rec.lease_until = now + _lease(deps)
    rec.updated_at = now


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
