"""Changing a ticket's working fields: an agent's edit (status, priority, assignee, tags) checked against the
version the agent's form was rendered with, and the sweep's closing of solved tickets.

No lost update: the form carries the ticket's version; when the stored ticket moved on meanwhile, nothing is
written and EditConflict says who changed what, so the console can show it and let the agent resubmit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.said import said
from gmail_tickets.domain.ticket_fields import TicketStatus, TimelineEntry
from gmail_tickets.domain.ticket_json import change_json
from gmail_tickets.domain.ticket_lifecycle import (
    FieldChanges,
    UpdateRefused,
    agent_update,
    changed_by,
    changes_since,
    close_due,
)
from gmail_tickets.domain.webhooks import WebhookEvent
from gmail_tickets.errors import GmailTicketsError
from gmail_tickets.ports import TicketUnit, UnitOfWork
from gmail_tickets.services import trigger_mail, webhook_events
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.notifications import announce

log = logging.getLogger(__name__)

CLOSE_BATCH = 200
"""Solved tickets one sweep closes at most (the longest solved first); the rest wait for the next sweep."""


class ChangeRefused(GmailTicketsError):
    """The change was not made; the message is meant for the agent."""


class NoSuchTicket(ChangeRefused):
    pass


class EditConflict(ChangeRefused):
    """The ticket changed after the agent's form was rendered: `changes` are what the agent did not see, and
    `ticket` the ticket as it is now (the page is shown again at its version)."""

    def __init__(self, ticket: Ticket, changes: Sequence[TimelineEntry]) -> None:
        who = ", ".join(changed_by(changes)) or "someone"
        super().__init__(f"Changed by {who} meanwhile: review the changes below and submit again.")
        self.ticket = ticket
        self.changes = list(changes)


def checked(uow: TicketUnit, ticket_id: int, version: int | None) -> Ticket:
    """The ticket, read in this unit; raises NoSuchTicket, or EditConflict when `version` (the form's) is stale."""
    ticket = uow.get_ticket(ticket_id)
    if ticket is None:
        raise NoSuchTicket(f"There is no ticket #{ticket_id}.")
    if version is not None and ticket.version != version:
        raise EditConflict(ticket, changes_since(ticket, version))
    return ticket


def submit(ticket: Ticket, changes: FieldChanges, *, actor: str, now: datetime) -> list[TimelineEntry]:
    """The lifecycle's agent_update, its refusal turned into one the console shows."""
    try:
        return agent_update(ticket, changes, actor=actor, now=now)
    except UpdateRefused as error:
        raise ChangeRefused(str(error)) from error


def update_ticket(deps: Deps, ticket_id: int, changes: FieldChanges, *, actor: str,
                  version: int | None, actor_email: str | None = None) -> list[TimelineEntry]:
    """Apply an agent's field changes in one transaction; return the timeline entries made (none: nothing
    changed and nothing was written). The mails the change fires (an assignment, a solve: domain/triggers.py)
    are queued in the same transaction; `actor_email` is the agent's account (nobody is told of their own act)."""
    actor = actor.strip()
    if not actor:
        raise ChangeRefused(said("Nobody is signed in to make the change."))
    now = deps.clock.now()
    assignee = changes.assignee if isinstance(changes.assignee, str) else None
    context = trigger_mail.ChangeContext.read(deps, ticket_id, solving=changes.status == TicketStatus.SOLVED,
                                              assignee=assignee)
    queued: list[str] = []

    def work(uow: UnitOfWork) -> list[TimelineEntry]:
        queued.clear()
        ticket = checked(uow, ticket_id, version)
        entries = submit(ticket, changes, actor=actor, now=now)
        if entries:
            uow.put_ticket(ticket)
            webhook_events.emit(deps, uow, WebhookEvent.TICKET_UPDATED, ticket=ticket,
                                data={"changes": [change_json(e) for e in entries]})
            queued.extend(trigger_mail.queue_after_agent_change(deps, uow, ticket, entries, context, agent=actor,
                                                                agent_email=actor_email, now=now))
        return entries

    entries = deps.store.atomically(work)
    announce(deps, queued)
    webhook_events.announce(deps)
    return entries


def close_solved(deps: Deps) -> list[int]:
    """Close the tickets solved `close_solved_after_days` ago or longer, each in its own transaction (re-read
    there: a customer's reply may have reopened it since the query). At most CLOSE_BATCH per sweep, from the
    store's index on solved_at, so the cost grows with the tickets due, not with all tickets."""
    now = deps.clock.now()
    after = timedelta(days=deps.settings.close_solved_after_days)
    closed: list[int] = []
    for due in deps.store.solved_before(now - after, limit=CLOSE_BATCH):
        if due.id is None:
            continue

        def work(uow: UnitOfWork, ticket_id: int = due.id) -> bool:
            ticket = uow.get_ticket(ticket_id)
            if ticket is None or not close_due(ticket, now, after):
                return False
            uow.put_ticket(ticket)
            webhook_events.emit(deps, uow, WebhookEvent.TICKET_UPDATED, ticket=ticket)
            return True

        if deps.store.atomically(work):
            closed.append(due.id)
    webhook_events.announce(deps)
    if closed:
        log.info("solved tickets closed", extra={"count": len(closed)})
    return closed
