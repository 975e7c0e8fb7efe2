"""Keeping Gmail push alive: each mailbox's watch renewed on its own time of day (domain/watch_schedule.py).

Run from the sweep's shard checks, for the few mailboxes whose slot has come (about one in 1,440 a minute) and at
once for one whose watch is missing or about to expire; never for everyone in one minute.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from gmail_tickets.domain.mailbox_check import MailboxCursor
from gmail_tickets.domain.watch_schedule import renewal_due
from gmail_tickets.ports import ConnectionUnit
from gmail_tickets.services.deps import Deps


def renew_if_due(deps: Deps, cursor: MailboxCursor, now: datetime) -> bool:
    """Renew the mailbox's watch when its time has come; True when it was renewed."""
    renew_before = timedelta(seconds=deps.settings.watch_renew_before_seconds)
    if not renewal_due(cursor.address, cursor.watch_expiration, now, renew_before):
        return False
    renew_watch(deps, cursor.address)
    return True


def renew_watch(deps: Deps, address: str) -> None:
    """(Re)start Gmail push for a mailbox and store until when it lasts (Gmail drops a watch after 7 days)."""
    watch = deps.mailbox_for(address).watch(deps.settings.push_topic)

    def work(uow: ConnectionUnit) -> None:
        connection = uow.get_connection(address)
        if connection is not None:
            connection.watch_expiration = watch.expiration
            uow.put_connection(connection)

    deps.store.atomically(work)
