"""What a ticket list asks for: a view's filters and its sort. The console's views, search, and later the REST API
share these so one filter means the same thing everywhere, whichever store answers it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime

from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.paging import Key
from gmail_tickets.domain.ticket_activity import EPOCH_KEY, updated
from gmail_tickets.domain.ticket_fields import Priority, TicketStatus


class TicketSort(enum.StrEnum):
    UPDATED = "updated"  # the default: a ticket moves up when a customer or an agent writes
    CREATED = "created"
    PRIORITY = "priority"


@dataclass(frozen=True)
class TicketFilter:
    """Every field narrows the list; an empty field does not. `unassigned` and `assignee` exclude each other."""

    statuses: tuple[TicketStatus, ...] = ()
    assignee: str | None = None  # an agent's email (or sign-in name)
    unassigned: bool = False
    brand_id: str | None = None
    connection: str | None = None  # the support address the mail came in on
    requester: str | None = None  # normalised address, lower case
    tag: str | None = None
    updated_since: datetime | None = None  # updated at or after; a store serves it on the `updated` sort only

    def matches(self, ticket: Ticket) -> bool:
        """The one meaning of the filter, for stores that narrow in memory and for tests of those that don't."""
        return ((not self.statuses or ticket.status in self.statuses)
                and (self.assignee is None or ticket.assignee == self.assignee)
                and (not self.unassigned or ticket.assignee is None)
                and (self.brand_id is None or ticket.brand_id == self.brand_id)
                and (self.connection is None or ticket.connection == self.connection)
                and (self.requester is None or ticket.requester.lower() == self.requester)
                and (self.tag is None or self.tag in ticket.tags)
                and (self.updated_since is None or time_key(updated(ticket)) >= time_key(self.updated_since)))


PRIORITY_RANK: dict[Priority, int] = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


def time_key(moment: datetime | None) -> str:
    """Fixed-width UTC text (as the stores keep times), so text order is time order; no time sorts last."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds") if moment is not None else EPOCH_KEY


def sort_key(ticket: Ticket, sort: TicketSort) -> Key:
    """The keyset key of a ticket in a list sorted by `sort`, largest first; the id breaks every tie. Created
    order is id order (ids only grow), so that sort needs no time at all."""
    ticket_id = int(ticket.id or 0)
    if sort == TicketSort.CREATED:
        return (ticket_id,)
    if sort == TicketSort.PRIORITY:
        return (PRIORITY_RANK[ticket.priority], time_key(updated(ticket)), ticket_id)
    return (time_key(updated(ticket)), ticket_id)
