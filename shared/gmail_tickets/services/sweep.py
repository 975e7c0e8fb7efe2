"""The one-minute reconciliation sweep: ask for a sync of every active mailbox, keep Gmail watches alive, and
publish again any notification whose event was lost (queued a minute or more, or held by a sender that vanished), and
publish the retrying notifications whose next attempt time has come (the send function acks a transient failure
instead of spinning on it; the sweep is what brings the record back, at the pace of its backoff), and close the
tickets solved `close_solved_after_days` ago; webhook deliveries the same way (services/webhook_sweep.py).

Push notifications can be late, dropped or coalesced; the sweep is what makes "eventually" a bounded minute.
Each mailbox is handled on its own, so one broken mailbox never stops the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from gmail_tickets.domain.delivery import ClaimAction, claim_action
from gmail_tickets.domain.model import ConnectionStatus
from gmail_tickets.domain.outbox import NotificationState
from gmail_tickets.errors import GmailTicketsError, TokenRevoked
from gmail_tickets.ports import ConnectionUnit, OutboxUnit
from gmail_tickets.services.connection_health import mark_connection
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.ticket_changes import close_solved
from gmail_tickets.services.webhook_sweep import republish_webhooks

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    requested: list[str] = field(default_factory=list)
    watches_renewed: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    notifications_republished: list[str] = field(default_factory=list)
    tickets_closed: list[int] = field(default_factory=list)
    webhooks_republished: list[str] = field(default_factory=list)


def sweep(deps: Deps, *, renew_watches: bool = True) -> SweepResult:
    result = SweepResult()
    now = deps.clock.now()
    renew_before = now + timedelta(seconds=deps.settings.watch_renew_before_seconds)
    for connection in deps.store.list_connections():
        if not connection.is_active:
            continue
        address = connection.address
        try:
            if renew_watches and (connection.watch_expiration is None or connection.watch_expiration <= renew_before):
                renew_watch(deps, address)
                result.watches_renewed.append(address)
            deps.publisher.publish(deps.settings.sync_topic, {"emailAddress": address, "source": "sweep"})
            result.requested.append(address)
        except TokenRevoked as exc:
            mark_connection(deps, address, ConnectionStatus.DISCONNECTED, f"Google access was revoked: {exc}")
            result.errors[address] = "token revoked"
        except GmailTicketsError as exc:
            log.warning("sweep step failed", extra={"connection": address, "error": str(exc)})
            result.errors[address] = str(exc)
        try:
            prune_send_window(deps, address)
        except GmailTicketsError as exc:
            log.warning("sweep could not prune a send window", extra={"connection": address, "error": str(exc)})
    try:
        result.notifications_republished = republish_notifications(deps)
    except GmailTicketsError as exc:
        log.warning("sweep could not republish notifications", extra={"error": str(exc)})
        result.errors["outbox"] = str(exc)
    try:
        result.webhooks_republished = republish_webhooks(deps)
    except GmailTicketsError as exc:
        log.warning("sweep could not republish webhook deliveries", extra={"error": str(exc)})
        result.errors["webhooks"] = str(exc)
    try:
        deps.store.upgrade_in_place()
        result.tickets_closed = close_solved(deps)
    except GmailTicketsError as exc:
        log.warning("sweep could not close solved tickets", extra={"error": str(exc)})
        result.errors["tickets"] = str(exc)
    return result


def prune_send_window(deps: Deps, address: str) -> bool:
    """Drop the hour buckets that left the rolling 24 h (senders only add to them); a write only when there are
    any, about once an hour per sending account."""
    now = deps.clock.now()
    if not deps.store.get_send_window(address).prune(now):
        return False

    def work(uow: OutboxUnit) -> None:
        window = uow.get_send_window(address)
        if window.prune(now):
            uow.put_send_window(window)

    deps.store.atomically(work)
    return True


def republish_notifications(deps: Deps) -> list[str]:
    """The outbox relay's safety net: a record committed without its event reaching the send function (publish
    lost, retries exhausted) is published again once it has waited `outbox_republish_after_seconds`."""
    now = deps.clock.now()
    stale = now - timedelta(seconds=deps.settings.outbox_republish_after_seconds)
    # Oldest first: a burst of fresh records must not hide the old ones whose events were lost.
    pending = deps.store.list_notifications(states=(NotificationState.QUEUED, NotificationState.SENDING),
                                            limit=500, oldest_first=True)
    # A "sending" record only once a sender may claim it: its lease lapsed and, after a Gmail sender, its SENT
    # search can show the mail (published earlier, its event would only be refused as busy until then).
    search_lag = timedelta(seconds=deps.settings.send_recheck_seconds)
    due = [n.id for n in pending
           if (n.updated_at or n.created_at or now) <= stale
           and (n.state == NotificationState.QUEUED or claim_action(n, now, search_lag) is not ClaimAction.BUSY)]
    due += due_retries(deps)
    for record_id in due:
        deps.publisher.publish(deps.settings.outbound_topic, {"notification": record_id})
    return due


def due_retries(deps: Deps) -> list[str]:
    """Retrying records whose next attempt time has come, the longest due first and at most `outbox_retry_batch`
    per sweep (the rest come next minute): an index range, so a long outage's backlog costs what is due, never a
    scan of the outbox. A record claimed meanwhile has no next attempt time any more and is not listed."""
    batch = deps.store.due_notifications(deps.clock.now(), limit=deps.settings.outbox_retry_batch)
    return [n.id for n in batch if n.state == NotificationState.RETRYING]


def renew_watch(deps: Deps, address: str) -> None:
    """(Re)start Gmail push for a mailbox; Gmail drops a watch after 7 days, so the sweep renews it daily."""
    watch = deps.mailbox_for(address).watch(deps.settings.push_topic)

    def work(uow: ConnectionUnit) -> None:
        connection = uow.get_connection(address)
        if connection is not None:
            connection.watch_expiration = watch.expiration
            uow.put_connection(connection)

    deps.store.atomically(work)

