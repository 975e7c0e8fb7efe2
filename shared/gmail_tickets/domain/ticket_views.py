"""The console's ticket views: named filters an agent picks from, each shown with its count (Zendesk's
Unassigned, My open, All open, Pending, On-hold, Solved). Suspended mail is no ticket, so its page is linked
beside them rather than being a view."""

from __future__ import annotations

from dataclasses import dataclass, replace

from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.domain.ticket_query import TicketFilter

OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN)
"""What "open" means in a view: waiting on us (pending and on-hold wait on someone else)."""


@dataclass(frozen=True)
class TicketView:
    key: str
    label: str
    statuses: tuple[TicketStatus, ...]
    unassigned: bool = False
    mine: bool = False  # assigned to the agent looking

    def filter(self, me: str) -> TicketFilter:
        return TicketFilter(statuses=self.statuses, unassigned=self.unassigned, assignee=me if self.mine else None)


VIEWS: tuple[TicketView, ...] = (
    TicketView("unassigned", "Unassigned", OPEN_STATUSES, unassigned=True),
    TicketView("mine", "My open", OPEN_STATUSES, mine=True),
    TicketView("open", "All open", OPEN_STATUSES),
    TicketView("pending", "Pending", (TicketStatus.PENDING,)),
    TicketView("on-hold", "On-hold", (TicketStatus.ON_HOLD,)),
    TicketView("solved", "Solved", (TicketStatus.SOLVED,)),
    TicketView("all", "All tickets", ()),
)
BY_KEY = {v.key: v for v in VIEWS}
DEFAULT_VIEW = "open"


def narrowed(base: TicketFilter, extra: TicketFilter) -> TicketFilter:
    """A view's filter with the agent's own filters on top; a status picked by hand replaces the view's, and an
    assignee picked by hand replaces "unassigned" (the two exclude each other)."""
    statuses = extra.statuses or base.statuses
    assignee = extra.assignee if extra.assignee is not None else base.assignee
    unassigned = base.unassigned and extra.assignee is None
    return replace(extra, statuses=statuses, assignee=assignee, unassigned=unassigned)
