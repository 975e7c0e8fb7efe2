"""Change marks: small counters the console polls to learn that something it shows has changed.

A mark is one integer per key, bumped once by every committed unit of work that wrote a ticket, a comment or a
notification: `ALL` for the whole desk (the lists), `ticket_key(id)` for one ticket (its page). Reading a mark is
one row / document whatever the desk's size, so an idle poll never reads a list that grows. A mark only says
"look again"; what changed is read from the records themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

ALL = "all"


def ticket_key(ticket_id: int) -> str:
    return f"ticket:{int(ticket_id)}"


def keys_for(ticket_ids: Iterable[int]) -> list[str]:
    """The marks one unit of work bumps: the desk's, and each ticket's it touched (sorted: a stable write order)."""
    ids = sorted({int(i) for i in ticket_ids})
    return [ALL, *(ticket_key(i) for i in ids)] if ids else []
