"""The courtesy label, put on in as few Gmail calls as the quota rewards.

Labelling each mail costs 5 units (messages.modify) and labelling up to 1,000 at once 50 (batchModify), so the
label is owed per mailbox and put on once `batch` mails are owed — or, at a sync's end, once the oldest owed one
waited `delay_seconds` (0: at the end of every sync). The label is a courtesy for the mailbox's owner, never the
truth (the ledger is): what a process owes when it ends is not put on, and what Gmail refuses is dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from gmail_tickets.errors import MailboxError
from gmail_tickets.ports import Mailbox

log = logging.getLogger(__name__)

MOST_OWED = 1000  # batchModify's limit: a mailbox owing this many is labelled at once whatever the settings


class OwedLabels:
    """Per process: mailbox address → the Gmail ids owed its label, and when the oldest was owed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owed: dict[str, tuple[list[str], float]] = {}

    def settle(self, address: str, label_id: str | None, mailbox: Mailbox, ids: Sequence[str], *,
               batch: int, delay_seconds: float) -> int:
        """Owe `ids` the label, and put it on everything owed when due; returns how many were labelled."""
        now = time.monotonic()
        with self._lock:
            owed, since = self._owed.get(address, ([], now))
            owed = list(dict.fromkeys([*owed, *ids]))
            due = owed and (len(owed) >= min(max(1, batch), MOST_OWED) or now - since >= delay_seconds)
            if not due:
                if owed:
                    self._owed[address] = (owed, since)
                return 0
            self._owed.pop(address, None)
        if label_id is None:
            return 0
        try:
            mailbox.modify_labels(owed, add=[label_id])
        except MailboxError as exc:  # the label is a courtesy; the ledger is the truth
            log.warning("labelling failed", extra={"connection": address, "error": str(exc)})
            return 0
        return len(owed)

    def owed(self, address: str) -> int:
        with self._lock:
            return len(self._owed.get(address, ((), 0.0))[0])
