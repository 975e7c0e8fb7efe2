"""One sweep shard: check each of its mailboxes, concurrently, and ask for a sync only where there is work.

The check of an idle mailbox costs one history.list (a single record asked for) and nothing in the store: its cursor
came in the shard message (domain/mailbox_check.py says why that is safe). A sync is requested (on the sync topic,
the same request the sweep used to send for every mailbox) when Gmail shows changes after the cursor, when there is
no usable cursor, when the connection is in error (a sync is what clears it), when the last sync is
`sync_mark_every_seconds` old, or when courtesy labels have been owed `label_delay_seconds`. Watches are renewed
here too, each on its own time of day (services/watch_renewal.py). Each mailbox is handled on its own, so one broken
mailbox never stops the others; the requests go out together, waited for once, before the shard's event is
acknowledged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gmail_tickets.domain import inbox_rules
from gmail_tickets.domain.mailbox_check import MailboxCursor, labels_due, mark_due
from gmail_tickets.domain.model import ConnectionStatus
from gmail_tickets.errors import GmailTicketsError, HistoryExpired, MailboxError, PoisonEvent, TokenRevoked
from gmail_tickets.services.connection_health import mark_connection
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.event_body import json_object
from gmail_tickets.services.ingest import quarantine_event
from gmail_tickets.services.watch_renewal import renew_if_due

log = logging.getLogger(__name__)


@dataclass
class Check:
    """What the check of one mailbox found."""

    address: str
    sync: bool = False
    renewed: bool = False
    error: str | None = None


@dataclass
class ShardResult:
    checked: list[str] = field(default_factory=list)
    sync_requested: list[str] = field(default_factory=list)
    watches_renewed: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def decode_shard(data: bytes) -> list[MailboxCursor]:
    """The mailboxes of a shard message ({"mailboxes": [...]}, as services/sweep.py writes it)."""
    body = json_object(data)
    items = body.get("mailboxes")
    if not isinstance(items, list):
        raise PoisonEvent("a shard without mailboxes")
    try:
        return [MailboxCursor.from_message(item) for item in items]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PoisonEvent(f"a shard mailbox that no sweep wrote: {type(exc).__name__}") from None


def shard_event(deps: Deps, data: bytes, *, renew_watches: bool) -> ShardResult | None:
    """Handle one shard message; None for one quarantined as unreadable. Raises TransientError (the sync
    requests could not be published) to have it delivered again: checking again is harmless."""
    try:
        cursors = decode_shard(data)
    except PoisonEvent as exc:
        quarantine_event(deps, data, str(exc))
        return None
    result = check_shard(deps, cursors, renew_watches=renew_watches)
    log.info("sweep shard checked", extra={"checked": len(result.checked), "sync_requested": len(result.sync_requested),
                                           "watches_renewed": len(result.watches_renewed),
                                           "errors": len(result.errors)})
    return result


def check_shard(deps: Deps, cursors: Sequence[MailboxCursor], *, renew_watches: bool) -> ShardResult:
    """Check the active mailboxes (at most `sweep_check_workers` at once), then publish their sync requests."""
    active = [c for c in cursors if c.is_active]
    result = ShardResult()
    if not active:
        return result
    workers = max(1, min(deps.settings.sweep_check_workers, len(active)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sweep-check") as pool:
        checks = list(pool.map(lambda cursor: check_mailbox(deps, cursor, renew_watches=renew_watches), active))
    for check in checks:
        result.checked.append(check.address)
        if check.renewed:
            result.watches_renewed.append(check.address)
        if check.sync:
            result.sync_requested.append(check.address)
        if check.error:
            result.errors[check.address] = check.error
    if result.sync_requested:
        deps.publisher.publish_many(deps.settings.sync_topic,
                                    [{"emailAddress": a, "source": "sweep"} for a in result.sync_requested])
    return result


def check_mailbox(deps: Deps, cursor: MailboxCursor, *, renew_watches: bool) -> Check:
    """Renew the watch if its time has come, then decide whether the mailbox needs a sync. Never raises for
    what one mailbox does wrong: the error is the check's."""
    address = cursor.address
    check = Check(address)
    now = deps.clock.now()
    try:
        if renew_watches:
            try:
                check.renewed = renew_if_due(deps, cursor, now)
            except TokenRevoked:
                raise
            except GmailTicketsError as exc:  # no watch this minute; the mail is still looked at
                log.warning("watch renewal failed", extra={"connection": address, "error": str(exc)})
                check.error = f"watch: {exc}"
        check.sync = _needs_sync(deps, cursor, now)
    except TokenRevoked as exc:
        mark_connection(deps, address, ConnectionStatus.DISCONNECTED, f"Google access was revoked: {exc}")
        check.error, check.sync = "token revoked", False
    except HistoryExpired:
        check.sync = True  # the sync does the full sync this needs
    except MailboxError as exc:
        check.error, check.sync = str(exc), True  # the sync records what Gmail refuses on the connection
    except GmailTicketsError as exc:  # transient: the next minute's check looks again
        log.warning("sweep check failed", extra={"connection": address, "error": str(exc)})
        check.error = str(exc)
    return check


def _needs_sync(deps: Deps, cursor: MailboxCursor, now: datetime) -> bool:
    mark_every = timedelta(seconds=deps.settings.sync_mark_every_seconds)
    if cursor.history_id is None or cursor.status == ConnectionStatus.ERROR:
        return True
    if mark_due(cursor.last_sync_at, now, mark_every):
        return True
    if labels_due(cursor.labels_owed_since, now, timedelta(seconds=deps.settings.label_delay_seconds)):
        return True  # the sync that puts them on: their process may have ended owing them
    return deps.mailbox_for(cursor.address).has_changes(cursor.history_id, history_types=inbox_rules.CANDIDATE_KINDS)
