"""Deliver one outbox record: through the connected Gmail account while it may send, else through the relay.

At least once in, at most once per route out (see domain/outbox.py for the states):
1. Claim, in one transaction: a settled record is a duplicate event (acked, nothing sent); one another sender
   holds is retried later; one whose holder vanished mid-Gmail-send is first looked for in SENT by our
   Message-ID; one whose holder vanished mid-relay-hand-over is sent again with the same Message-ID (at least
   once, counted on the record: domain/delivery.py); otherwise the route is chosen now (domain/routing.py) from
   the connection, the rolling 24 h window and any block after Gmail's limit error (domain/delivery.py decides
   which).
2. Attempt, outside any transaction (services/delivery_attempts.py): the answer is an outcome value. The lease is
   short (30 s) and renewed while the sender works (services/heartbeat.py), so no second sender starts while the
   first can still send, and one that died holds the record one lease; a Gmail sender's record is then searched
   in SENT only once Gmail's search can show what it may have sent (`claim_action`'s search lag).
3. Decide: `next_step` (domain/delivery.py, a pure decision table) turns the outcome into one step.
4. Apply it, in one transaction, only while this sender still holds the record: sent (Gmail's recipients counted
   just before), retrying (released with its next attempt time: the event is acked, and the sweep publishes the
   record again once that time comes, so no worker spins on an outage), held until Gmail's search can show the
   mail, or failed for the console to show; or handed over (to the relay, or to a route chosen afresh after the
   mail was not in SENT) and attempted again in the same call. A sender that lost the record to another writes
   nothing and stops (a heartbeat that found it taken over also stops it before another hand-over's attempt).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from gmail_tickets.domain.attempt_outcomes import AttemptOutcome, FoundInSent, GmailSent, RelaySent
from gmail_tickets.domain.delivery import (
    UNKNOWN_RELAY_OUTCOME,
    ClaimAction,
    DeliveryRules,
    Fail,
    RecheckLater,
    Reroute,
    RetryLater,
    SettleSent,
    Step,
    ToRelay,
    claim_action,
    is_hand_over,
    next_step,
    settle,
)
from gmail_tickets.domain.model import Connection, ConnectionStatus
from gmail_tickets.domain.outbox import Notification, SendWindow, Via
from gmail_tickets.domain.routing import GMAIL, RELAY, Route, route_notification
from gmail_tickets.errors import GmailTicketsError, PoisonEvent, TransientError
from gmail_tickets.ports import OutboxUnit, UnitOfWork
from gmail_tickets.services import delivery_attempts, webhook_events
from gmail_tickets.services.connection_health import mark_connection
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.event_body import json_object
from gmail_tickets.services.heartbeat import Heartbeat
from gmail_tickets.services.ingest import quarantine_event
from gmail_tickets.settings import Settings

log = logging.getLogger(__name__)

SEND_LIMIT_WARNING = "Send limit reached, relay in use"
LOST_LEASE = "another sender took this notification over"
# A SENT search, Gmail, then the relay: each hand-over leads away from where it came from (see test_delivery.py).
MOST_ATTEMPTS_PER_CALL = 3


class SendInProgress(TransientError):
    """Another sender holds this notification: look again later (the event is redelivered)."""


class SendRetry(TransientError):
    """Still held until Gmail's search can show the mail: deliver the event again later."""


Result = Literal["sent", "failed", "retrying", "duplicate", "unknown"]


@dataclass(frozen=True)
class SendOutcome:
    notification_id: str
    result: Result
    via: Via | None = None
    reason: str = ""


def send_notification(deps: Deps, notification_id: str) -> SendOutcome:
    """Deliver the record once. Raises TransientError (SendInProgress, SendRetry) to be called again later; a
    transient failure of the attempt itself returns "retrying" (the sweep publishes the record again)."""
    holder = f"{deps.holder}-send-{uuid.uuid4().hex[:8]}"  # this invocation: two in one process are two holders
    peek = deps.store.get_notification(notification_id)
    facts = _Facts.read(deps, peek.connection) if peek is not None else None
    claim = deps.store.atomically(lambda uow: _claim(deps, uow, notification_id, holder, facts))
    if claim is None:
        log.warning("outbound event for an unknown notification acknowledged", extra={"notification": notification_id})
        return SendOutcome(notification_id, "unknown")
    action, n = claim
    if action in (ClaimAction.DUPLICATE, ClaimAction.FAIL_UNKNOWN):
        return SendOutcome(n.id, "duplicate", n.route)
    if action is ClaimAction.NOT_DUE:
        return SendOutcome(n.id, "retrying", n.route, n.last_error or "")
    if action is ClaimAction.BUSY:
        raise SendInProgress(f"notification {n.id} is being sent by {n.holder}")
    return _deliver(deps, n, search_sent_first=action is ClaimAction.SEARCH_SENT)


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

    def route(self, deps: Deps, n: Notification, now: datetime) -> Route:
        return route_notification(n, self.connection, self.window, send_limit=deps.settings.send_limit, now=now,
                                  relay_configured=deps.relay is not None)


def _claim(deps: Deps, uow: UnitOfWork, notification_id: str, holder: str,
           facts: _Facts | None) -> tuple[ClaimAction, Notification] | None:
    n = uow.get_notification(notification_id)
    if n is None or facts is None:
        return None
    now = deps.clock.now()
    rules = delivery_rules(deps.settings)
    action = claim_action(n, now, search_lag=rules.recheck)
    lease = rules.lease
    if action is ClaimAction.ROUTE:
        route = facts.route(deps, n, now)
        n.claim(route.via, route.reason, holder=holder, now=now, lease=lease)
    elif action is ClaimAction.SEARCH_SENT:
        n.claim(GMAIL, n.route_reason, holder=holder, now=now, lease=lease)
    elif action is ClaimAction.RESEND:
        n.resend_after_interruption(holder=holder, now=now, lease=lease)
        log.warning("relay hand-over interrupted: sending it again", extra={"notification": n.id})
    elif action is ClaimAction.FAIL_UNKNOWN:
        n.fail(UNKNOWN_RELAY_OUTCOME, now)
        webhook_events.notification_failed(deps, uow, n)  # published with the next announce, or by the sweep
    else:
        return action, n
    uow.put_notification(n)
    return action, n


def delivery_rules(settings: Settings) -> DeliveryRules:
    return DeliveryRules(
        max_attempts=settings.send_max_attempts,
        lease=timedelta(seconds=settings.send_lease_seconds),
        recheck=timedelta(seconds=settings.send_recheck_seconds),
        limit_block=timedelta(seconds=settings.send_limit_block_seconds),
        retry_first=timedelta(seconds=settings.send_retry_first_seconds),
        retry_ceiling=timedelta(seconds=settings.send_retry_ceiling_seconds),
        retry_budget=timedelta(seconds=settings.send_retry_budget_seconds),
    )


# --------------------------------------------------------------------------- attempt, decide, apply


def _deliver(deps: Deps, n: Notification, *, search_sent_first: bool) -> SendOutcome:
    """Attempt, decide, apply; after a hand-over, attempt again on the record's new route."""
    rules = delivery_rules(deps.settings)
    with Heartbeat(lambda: renew_claim(deps, n.id, n.holder, rules.lease), deps.settings.send_lease_seconds,
                   name=f"send:{n.id}") as heartbeat:
        return _attempts(deps, n, rules, heartbeat, search_sent_first=search_sent_first)


def renew_claim(deps: Deps, notification_id: str, holder: str | None, lease: timedelta) -> bool:
    """The heartbeat's renewal: only while this sender still holds it (not taken over, not settled); False: lost."""
    now = deps.clock.now()

    def work(uow: OutboxUnit) -> bool:
        rec = uow.get_notification(notification_id)
        if rec is None or not rec.held_by(holder):
            return False
        rec.extend_lease(now + lease)
        uow.put_notification(rec)
        return True

    return bool(deps.store.atomically(work))


def _attempts(deps: Deps, n: Notification, rules: DeliveryRules, heartbeat: Heartbeat, *,
              search_sent_first: bool) -> SendOutcome:
    attempt = delivery_attempts.search_sent if search_sent_first else delivery_attempts.send_on_route
    for _ in range(MOST_ATTEMPTS_PER_CALL):
        if heartbeat.lost:  # taken over after our lease lapsed: no further attempt (the new holder decides)
            return SendOutcome(n.id, "duplicate", None, LOST_LEASE)
        outcome = attempt(deps, n)
        now = deps.clock.now()
        step = next_step(n, outcome, rules, now)
        if not _apply(deps, n, step, rules, now):
            log.warning("notification taken over by another sender; leaving it to them",
                        extra={"notification": n.id, "holder": n.holder})
            return SendOutcome(n.id, "duplicate", _via_when_lost(n, step), LOST_LEASE)
        if not is_hand_over(step):
            return _finish(n, outcome, step)
        if isinstance(step, ToRelay) and step.block_gmail_until is not None:
            log.warning("Gmail sending limit reached: relay in use", extra={"connection": n.connection})
        n = _reload(deps, n.id)
        attempt = delivery_attempts.send_on_route
    raise GmailTicketsError(f"notification {n.id} was still being handed over after {MOST_ATTEMPTS_PER_CALL} "
                            "attempts")  # pragma: no cover - next_step's hand-overs never come back


def _apply(deps: Deps, n: Notification, step: Step, rules: DeliveryRules, now: datetime) -> bool:
    """Perform the step. The store writes that must not wait for the record's transaction come first; the record
    changes only while this sender still holds it. False when another sender took it over (this one outlived
    its lease) or it was settled meanwhile: then the record is left as it is."""
    route = _Facts.read(deps, n.connection).route(deps, n, now) if isinstance(step, Reroute) else None
    if isinstance(step, SettleSent) and step.count_gmail_sends:
        # Counted before the record is settled: a crash between the two counts it again later (errs high, as the
        # window must), never not at all.
        deps.store.record_gmail_sends(n.connection, now, len(n.recipients))
    if isinstance(step, ToRelay) and step.disconnect is not None:
        mark_connection(deps, n.connection, ConnectionStatus.DISCONNECTED, step.disconnect)

    def work(uow: UnitOfWork) -> bool:
        rec = uow.get_notification(n.id)
        if rec is None or not rec.held_by(n.holder):
            return False
        if isinstance(step, ToRelay) and step.block_gmail_until is not None:
            window = uow.get_send_window(rec.connection)
            window.block(step.block_gmail_until)
            window.drop_stale(now)
            uow.put_send_window(window)
        settle(rec, step, rules=rules, now=now, route=route)
        uow.put_notification(rec)
        webhook_events.notification_failed(deps, uow, rec)  # when it failed
        return True

    applied = bool(deps.store.atomically(work))
    webhook_events.announce(deps)
    return applied


def _finish(n: Notification, outcome: AttemptOutcome, step: Step) -> SendOutcome:
    """The call's result once the record is settled, retrying, or held for a later call (SendRetry)."""
    if isinstance(step, RetryLater):
        log.warning("notification retrying", extra={"notification": n.id, "route": n.route,
                                                    "next_attempt_at": step.at.isoformat()})
        return SendOutcome(n.id, "retrying", n.route, step.error)
    if isinstance(step, RecheckLater):
        raise SendRetry(f"notification {n.id}: {step.error}")
    if isinstance(step, Fail):
        log.error("notification failed", extra={"notification": n.id, "route": n.route, "attempts": n.attempts})
        return SendOutcome(n.id, "failed", n.route, step.error)
    assert isinstance(step, SettleSent), step
    if isinstance(outcome, GmailSent):
        log.info("notification sent via Gmail", extra={"notification": n.id, "connection": n.connection,
                                                       "recipients": len(n.recipients)})
    elif isinstance(outcome, FoundInSent):
        log.info("notification found in SENT after an interrupted send", extra={"notification": n.id})
    elif isinstance(outcome, RelaySent):
        log.info("notification sent via relay", extra={"notification": n.id, "recipients": len(n.recipients)})
    return SendOutcome(n.id, "sent", n.route, step.reason)


def _via_when_lost(n: Notification, step: Step) -> Via | None:
    """The route a lost record's outcome names: the one it would have been settled on (or the relay); else none."""
    return n.route if isinstance(step, SettleSent | Fail) or n.route == RELAY else None


def _reload(deps: Deps, notification_id: str) -> Notification:
    rec = deps.store.get_notification(notification_id)
    if rec is None:  # pragma: no cover - records are never deleted
        raise GmailTicketsError(f"notification {notification_id} disappeared")
    return rec


# --------------------------------------------------------------------------- the console and the event


def send_warning(window: SendWindow, *, status: ConnectionStatus | str, send_via_gmail: bool, limit: int,
                 now: datetime) -> str | None:
    """The console's warning for an account, or None."""
    if send_via_gmail and status == ConnectionStatus.CONNECTED and window.limit_reached(now, limit):
        return SEND_LIMIT_WARNING
    return None


def send_event(deps: Deps, data: bytes) -> SendOutcome | None:
    """One outbound-mail event: {"notification": id}. A malformed one is quarantined with its bytes and acked."""
    try:
        record_id = json_object(data).get("notification")
        if not isinstance(record_id, str) or not record_id or len(record_id) > 1500:
            raise PoisonEvent("outbound-mail event without a notification id")
    except PoisonEvent as exc:
        quarantine_event(deps, data, str(exc))
        return None
    return send_notification(deps, record_id)
