"""Which addresses are our own (support addresses), as the per-mail, connect and reply paths ask it: by the
addresses in question, read by key and remembered a short while, never by reading every support address.

Mail from one of our own addresses is ignored, none of them becomes a follower, and no automatic mail goes to
one; each of those questions names a handful of addresses. Reading them all per sync cost a row per connected
mailbox (1,000 connects read 499,501 rows); here a mail costs at most one batched point read of the addresses it
names that this process has not seen within `ttl_seconds`, whatever the number of mailboxes.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.ports import ConnectionRepo


def ticket_addresses(ticket: Ticket | None, conversation: Sequence[Comment] = (),
                     also: Iterable[str | None] = ()) -> list[str | None]:
    """Every address a mail about `ticket` may go to: requester, followers, assignee, the Reply-Tos of its
    conversation, and `also` (e.g. an assignee being set)."""
    found: list[str | None] = list(also)
    if ticket is not None:
        found += [ticket.requester, ticket.assignee, *ticket.followers]
    found += [c.reply_to for c in conversation]
    return found


class OwnAddresses:
    """A bounded, short-lived memory of "ours or not" per lower-cased address (least recently used dropped
    first). An answer is used for `ttl_seconds` after the read it came from began, never longer (eviction only
    shortens it), so a support address added or removed elsewhere (a connect in the console's process) is known
    to every process at most `ttl_seconds` after it was committed; `forget` makes this process see its own change
    at once. `clock`: monotonic seconds (tests pass their own)."""

    def __init__(self, capacity: int = 10_000, ttl_seconds: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = max(1, capacity)
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._known: OrderedDict[str, tuple[bool, float]] = OrderedDict()

    def among(self, store: ConnectionRepo, addresses: Iterable[str | None]) -> frozenset[str]:
        """Those of `addresses` that are support addresses, lower-cased."""
        wanted = {a.strip().lower() for a in addresses if a and "@" in a}
        now = self._clock()  # before the read: the answer is never used past ttl after what it saw
        answers: dict[str, bool] = {}
        with self._lock:
            for address in wanted:
                known = self._known.get(address)
                if known is not None and now - known[1] <= self._ttl:
                    self._known.move_to_end(address)
                    answers[address] = known[0]
        missing = sorted(wanted - answers.keys())
        if missing:
            found = {s.address.lower() for s in store.get_support_addresses(missing)}
            with self._lock:
                for address in missing:
                    answers[address] = address in found
                    self._known[address] = (answers[address], now)
                    self._known.move_to_end(address)
                while len(self._known) > self._capacity:
                    self._known.popitem(last=False)
        return frozenset(a for a, ours in answers.items() if ours)

    def forget(self, address: str | None = None) -> None:
        """After this process added, changed or removed a support address (None: all of them)."""
        with self._lock:
            if address is None:
                self._known.clear()
            else:
                self._known.pop(address.strip().lower(), None)

    def __len__(self) -> int:
        return len(self._known)
