"""The courtesy label, put on in as few Gmail calls as the quota rewards, and never forgotten.

Labelling each mail costs 5 units (messages.modify) and labelling up to 1,000 at once 50 (batchModify), so the
label is owed per mailbox and put on once `batch` mails are owed, or at a sync once the oldest owed one waited
`delay_seconds` (0: at the end of every sync). What is owed lives on the connection (`labels_owed`, since
`labels_owed_since`) and is written with the cursor the sync moves anyway (services/sync_mailbox.py): no write of
its own, and a process that ends owing labels leaves them to the next sync of that mailbox, which the sweep asks
for once they are due (domain/mailbox_check.py). A mail recorded by a sync that died before its cursor moved is
seen again by the next one, in the ledger, and owed again (services/import_batch.py). The label is a courtesy for
the mailbox's owner, never the truth (the ledger is): what Gmail refuses is dropped, not retried.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from gmail_tickets.domain.model import Connection
from gmail_tickets.errors import MailboxError
from gmail_tickets.ports import Mailbox

log = logging.getLogger(__name__)

MOST_OWED = 1000  # batchModify's limit: a mailbox owing this many is labelled at once whatever the settings


def settle(connection: Connection, mailbox: Mailbox, ids: Sequence[str], *, batch: int, delay_seconds: float,
           now: datetime) -> list[str]:
    """Owe `ids` the label on `connection` (in memory: the caller stores it with the cursor), and put it on
    everything owed when due. Returns the ids no longer owed (labelled, or dropped)."""
    owed = list(dict.fromkeys([*connection.labels_owed, *ids]))
    since = connection.labels_owed_since or now
    due = bool(owed) and (len(owed) >= min(max(1, batch), MOST_OWED)
                          or (now - since).total_seconds() >= delay_seconds)
    if not due:
        connection.labels_owed, connection.labels_owed_since = owed, since if owed else None
        return []
    connection.labels_owed, connection.labels_owed_since = [], None
    return put_on(connection.address, connection.label_id, mailbox, owed)


def put_on(address: str, label_id: str | None, mailbox: Mailbox, ids: Sequence[str]) -> list[str]:
    """The label on `ids` now (the adapter puts up to 1,000 in one call). Returns `ids`: none is owed any more,
    even when Gmail refused (the label is a courtesy; the ledger is the truth)."""
    if label_id is None or not ids:
        return list(ids)
    try:
        mailbox.modify_labels(list(ids), add=[label_id])
    except MailboxError as exc:
        log.warning("labelling failed", extra={"connection": address, "error": str(exc)})
    return list(ids)


def merge_owed(stored: Connection, synced: Connection, no_longer: set[str]) -> None:
    """Into the connection as stored now, what the sync owes: its own list and the stored one (read before the
    lease, the sync's copy may lack what another sync left), less what it labelled."""
    stored.labels_owed = [i for i in dict.fromkeys([*stored.labels_owed, *synced.labels_owed])
                          if i not in no_longer]
    times = [t for t in (stored.labels_owed_since, synced.labels_owed_since) if t is not None]
    stored.labels_owed_since = min(times) if stored.labels_owed and times else None
