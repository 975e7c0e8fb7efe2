"""Change marks: small counters the console polls to learn that something it shows has changed.

A mark is one integer per key, moved by every committed unit of work that wrote a ticket, a comment or a
notification: `ALL` for the whole desk (the lists), `ticket_key(id)` for one ticket (its page). Reading a mark is
a row / document or two whatever the desk's size, so an idle poll never reads a list that grows. A mark only says
"look again" (the console compares it for equality); what changed is read from the records themselves.

A new ticket writes no mark of its own (issue 18: a new ticket is three store writes, ledger entry, ticket and
acknowledgement, and the two marks were two more). No page can show a ticket before it exists, so its own mark
has nothing to tell; and the desk's mark is read together with the newest ticket (`desk_mark`), so a new ticket
moves it without a write. Every other change (a comment, an edit, a notification) bumps the marks as before.
"""

from __future__ import annotations

from collections.abc import Iterable

ALL = "all"


def ticket_key(ticket_id: int) -> str:
    return f"ticket:{int(ticket_id)}"


def keys_for(ticket_ids: Iterable[int], created: Iterable[int] = ()) -> list[str]:
    """The marks one unit of work bumps: the desk's and each ticket's it touched, except those of the tickets it
    created (see the module doc). Sorted: a stable write order."""
    new = {int(i) for i in created}
    ids = sorted({int(i) for i in ticket_ids} - new)
    return [ALL, *(ticket_key(i) for i in ids)] if ids else []


def desk_mark(bumps: int, newest: int) -> int:
    """The desk's mark from its bumps and a number that grows with each new ticket (the newest ticket's id on
    SQLite, whose ids only grow; on Firestore the newest change time's microseconds): either moving moves it."""
    return int(bumps) + int(newest)
