"""The ticket lifecycle, as Zendesk's: pure rules over a Ticket, each returning the timeline entries it made.

- new → open at the first agent action (a reply, a note or a field change), unless the agent submits it as
  something else;
- an agent submits a ticket as open, pending, on-hold or solved; new and closed are never chosen by hand;
- a customer's mail on a pending, on-hold or solved ticket reopens it (open);
- a solved ticket closes `close_after` after it was solved (the sweep); a closed ticket never changes again —
  mail answering it makes a follow-up ticket instead (domain/disposition.py).

Every change bumps `Ticket.version` once and stamps its entries with the new version, so a form rendered at
version v can list what it missed (`changes_since`). `solved_at` is set while solved and cleared in every other
status, so the sweep's query on it holds solved tickets alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.said import said
from gmail_tickets.domain.ticket_fields import (
    CUSTOMER,
    REOPENED_BY_CUSTOMER,
    SUBMIT_AS,
    SYSTEM,
    Priority,
    TicketStatus,
    TimelineEntry,
    normalise_tags,
)

_UNCHANGED = object()
MAX_ASSIGNEE_CHARS = 254  # the longest email address


class UpdateRefused(ValueError):
    """The change is not allowed (a closed ticket, a status an agent cannot choose); the message is for the agent."""


@dataclass(frozen=True)
class FieldChanges:
    """What an agent asks to change; None (or `keep()` for the assignee) leaves a field as it is."""

    status: TicketStatus | None = None
    priority: Priority | None = None
    assignee: object = _UNCHANGED  # str (an agent), None (unassign), or _UNCHANGED
    tags: Sequence[str] | None = None

    @staticmethod
    def keep() -> object:
        return _UNCHANGED


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def _apply(ticket: Ticket, actor: str, now: datetime, changes: dict[str, object]) -> list[TimelineEntry]:
    """Set the changed fields, bump the version once, keep solved_at in step, and append the entries."""
    changed = {name: value for name, value in changes.items() if getattr(ticket, name) != value}
    if not changed:
        return []
    version = ticket.version + 1
    entries = [TimelineEntry(at=now, actor=actor, field=name, old=_text(getattr(ticket, name)), new=_text(value),
                             version=version) for name, value in changed.items()]
    for name, value in changed.items():
        setattr(ticket, name, value)
    if "status" in changed:
        ticket.solved_at = now if ticket.status == TicketStatus.SOLVED else None
    ticket.version = version
    ticket.updated_at = now  # a field change moves the ticket up the "updated" sort
    ticket.timeline = [*ticket.timeline, *entries]
    return entries


def agent_update(ticket: Ticket, changes: FieldChanges, *, actor: str, now: datetime) -> list[TimelineEntry]:
    """An agent's submit (a reply, a note, or the fields form). A new ticket becomes open unless the agent chose
    another status. Raises UpdateRefused on a closed ticket or a status an agent cannot choose."""
    if ticket.status == TicketStatus.CLOSED:
        raise UpdateRefused(said("Ticket #%(id)s is closed and cannot change; a new mail from the customer opens a "
                                 "follow-up ticket.", id=str(ticket.id)))
    wanted: dict[str, object] = {}
    status = changes.status
    if status is not None and status not in SUBMIT_AS:
        raise UpdateRefused(said("A ticket cannot be set to %(status)s by hand.", status=said(str(status))))
    if status is None and ticket.status == TicketStatus.NEW:
        status = TicketStatus.OPEN
    if status is not None:
        wanted["status"] = TicketStatus(status)
    if changes.priority is not None:
        wanted["priority"] = Priority(changes.priority)
    if changes.assignee is not _UNCHANGED:
        assignee = changes.assignee.strip().lower() if isinstance(changes.assignee, str) else ""
        if len(assignee) > MAX_ASSIGNEE_CHARS:
            raise UpdateRefused(said("An assignee is an agent's email address: at most %(most)s characters.",
                                     most=MAX_ASSIGNEE_CHARS))
        wanted["assignee"] = assignee or None
    if changes.tags is not None:
        wanted["tags"] = normalise_tags(changes.tags)
    return _apply(ticket, actor, now, wanted)


def customer_replied(ticket: Ticket, now: datetime) -> list[TimelineEntry]:
    """The customer's mail on a pending, on-hold or solved ticket reopens it; new and open stay as they are.
    A closed ticket never gets here (mail on it makes a follow-up), and is left alone if it does."""
    if ticket.status not in REOPENED_BY_CUSTOMER:
        return []
    return _apply(ticket, CUSTOMER, now, {"status": TicketStatus.OPEN})


def close_due(ticket: Ticket, now: datetime, close_after: timedelta) -> list[TimelineEntry]:
    """Close a ticket solved at least `close_after` ago (the sweep); anything else is left alone."""
    if ticket.status != TicketStatus.SOLVED or ticket.solved_at is None or ticket.solved_at > now - close_after:
        return []
    return _apply(ticket, SYSTEM, now, {"status": TicketStatus.CLOSED})


def changes_since(ticket: Ticket, version: int) -> list[TimelineEntry]:
    """The timeline entries made after `version` (what a form rendered at that version did not see)."""
    return [e for e in ticket.timeline if e.version > version]


def changed_by(entries: Sequence[TimelineEntry]) -> list[str]:
    """Who made these changes, each once, in order."""
    return list(dict.fromkeys(e.actor for e in entries))

