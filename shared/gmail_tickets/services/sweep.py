"""The one-minute reconciliation sweep: fan the active mailboxes out in shards for checking, publish again any
notification whose event was lost (queued a minute or more, or held by a sender that vanished), publish the
retrying notifications whose next attempt time has come (the send function acks a transient failure instead of
spinning on it; the sweep is what brings the record back, at the pace of its backoff), and close the tickets
solved `close_solved_after_days` ago; webhook deliveries the same way (services/webhook_sweep.py).

Push notifications can be late, dropped or coalesced; the sweep is what makes "eventually" a bounded minute. It
does no per-mailbox work itself: it pages the connections (a projection of the fields the check needs, from a
saved position) and publishes one message per `sweep_shard_size` active mailboxes on the sweep topic, a page of
shards at a time, all sent before waiting once. Shard workers (services/sweep_shard.py) check their mailboxes,
renew the watches whose time has come and ask for syncs. A sweep that pages for longer than
`sweep_budget_seconds` saves where it stopped, and the next minute's sweep goes on from there, so every mailbox is
checked however many there are; a sweep that finishes writes nothing (unless it clears such a position).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from gmail_tickets.domain.delivery import ClaimAction, claim_action
from gmail_tickets.domain.mailbox_check import shard_message, shards
from gmail_tickets.domain.outbox import NotificationState
from gmail_tickets.errors import GmailTicketsError
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.ticket_changes import close_solved
from gmail_tickets.services.webhook_sweep import republish_webhooks

log = logging.getLogger(__name__)

# Connections paged per step: this many shards' worth (10,000 mailboxes by default), published together. Large,
# because a query's cost on the Firestore emulator grows with the collection, not the page (Firestore's own grows
# with the page); the budget is looked at between pages.
SHARDS_PER_PAGE = 100


@dataclass
class SweepResult:
    requested: list[str] = field(default_factory=list)  # mailboxes put into shards for checking
    shards: int = 0
    finished: bool = True  # False: stopped at its budget, the next sweep goes on from `resume_after`
    resume_after: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    notifications_republished: list[str] = field(default_factory=list)
    tickets_closed: list[int] = field(default_factory=list)
    webhooks_republished: list[str] = field(default_factory=list)


def sweep(deps: Deps) -> SweepResult:
    result = SweepResult()
    try:
        fan_out(deps, result)
    except GmailTicketsError as exc:
        log.warning("sweep could not fan out", extra={"error": str(exc)})
        result.errors["mailboxes"] = str(exc)
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


def fan_out(deps: Deps, result: SweepResult) -> None:
    """Page the connections from the saved position and publish their shards, a page at a time; save the
    position only when stopping early (or to clear one a finished sweep used)."""
    settings = deps.settings
    started = time.monotonic()
    saved = deps.store.sweep_position()
    after = saved
    page_size = settings.sweep_shard_size * SHARDS_PER_PAGE
    while True:
        # One row more than the page: whether another page follows, without a query that finds nothing.
        page = deps.store.connection_cursors(after=after, limit=page_size + 1)
        more = len(page) > page_size
        page = page[:page_size]
        groups = shards(page, settings.sweep_shard_size)
        if groups:
            deps.publisher.publish_many(settings.sweep_topic, [shard_message(g) for g in groups])
            result.shards += len(groups)
            result.requested.extend(c.address for g in groups for c in g)
        if not more:
            after = None  # the end: the next sweep starts from the first mailbox
            break
        after = page[-1].address
        if time.monotonic() - started >= settings.sweep_budget_seconds:
            result.finished, result.resume_after = False, after
            log.warning("sweep stopped at its budget; the next one goes on", extra={"after": after})
            break
    if after != saved:
        deps.store.save_sweep_position(after)


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
    if due:
        deps.publisher.publish_many(deps.settings.outbound_topic, [{"notification": record_id} for record_id in due])
    return due


def due_retries(deps: Deps) -> list[str]:
    """Retrying records whose next attempt time has come, the longest due first and at most `outbox_retry_batch`
    per sweep (the rest come next minute): an index range, so a long outage's backlog costs what is due, never a
    scan of the outbox. A record claimed meanwhile has no next attempt time any more and is not listed."""
    batch = deps.store.due_notifications(deps.clock.now(), limit=deps.settings.outbox_retry_batch)
    return [n.id for n in batch if n.state == NotificationState.RETRYING]
