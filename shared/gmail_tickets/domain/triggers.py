"""Triggers, as Zendesk's defaults: which mails a change to a ticket owes, per brand, each on or off.

- request received: a new ticket's acknowledgement to its requester (services/notifications.py);
- comment update: an agent's public reply, to the requester and the followers;
- assignee, customer's reply: the customer answered a ticket someone is assigned to → that agent;
- assignee, assignment: an agent assigned a ticket to someone else → that agent (not when they took it themselves);
- requester, solved: the ticket was solved → its requester (off by default, as in Zendesk).

Pure rules: the services ask which triggers a change fires and write each outbox record in the change's own
transaction, under an event key that makes it once per (ticket, event): `assigned:{ticket}:{version}`,
`customer-reply:{comment id}`, `solved:{ticket}:{version}`. Imported mail never fires anything, and a ticket
imported on connect never mails its requester (solving history must not spam customers); internal notes fire
nothing; nobody is mailed about their own action.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from gmail_tickets.domain.model import Brand, Ticket
from gmail_tickets.domain.ticket_fields import TicketStatus, TimelineEntry


class Trigger(enum.StrEnum):
    REQUEST_RECEIVED = "request-received"
    COMMENT_UPDATE = "comment-update"
    ASSIGNEE_CUSTOMER_REPLY = "assignee-customer-reply"
    ASSIGNEE_ASSIGNED = "assignee-assigned"
    REQUESTER_SOLVED = "requester-solved"


TITLES: dict[Trigger, str] = {
    Trigger.REQUEST_RECEIVED: "Notify requester of received request",
    Trigger.COMMENT_UPDATE: "Notify requester and followers of comment update",
    Trigger.ASSIGNEE_CUSTOMER_REPLY: "Notify assignee of the customer's reply",
    Trigger.ASSIGNEE_ASSIGNED: "Notify assignee of assignment",
    Trigger.REQUESTER_SOLVED: "Notify requester of solved request",
}
"""Zendesk's names for its default triggers, as the Brands page lists them."""

OFF_BY_DEFAULT: frozenset[Trigger] = frozenset({Trigger.REQUESTER_SOLVED})
TO_AGENTS: frozenset[Trigger] = frozenset({Trigger.ASSIGNEE_CUSTOMER_REPLY, Trigger.ASSIGNEE_ASSIGNED})
"""Triggers that mail agents, not customers: through the relay where one is configured (domain/routing.py)."""

EVENT_PREFIX: dict[Trigger, str] = {
    Trigger.ASSIGNEE_ASSIGNED: "assigned",
    Trigger.ASSIGNEE_CUSTOMER_REPLY: "customer-reply",
    Trigger.REQUESTER_SOLVED: "solved",
}


def is_on(brand: Brand | None, trigger: Trigger) -> bool:
    """Whether the brand has this trigger on: the admin's choice, else the trigger's default."""
    setting = brand.triggers.get(trigger) if brand is not None else None
    if setting is None or setting.enabled is None:
        return trigger not in OFF_BY_DEFAULT
    return setting.enabled


def template_of(brand: Brand | None, trigger: Trigger) -> str | None:
    """The brand's own text for the trigger, or None for the built-in one."""
    if brand is None:
        return None
    if trigger == Trigger.REQUEST_RECEIVED:
        return brand.ack_template
    setting = brand.triggers.get(trigger)
    return setting.template if setting is not None else None


def to_agents(event: str) -> bool:
    """Whether an outbox record's event is a mail to an agent (its event key starts with such a trigger's)."""
    return event.split(":", 1)[0] in {EVENT_PREFIX[t] for t in TO_AGENTS}


@dataclass(frozen=True)
class Fired:
    """One trigger a change fired: the outbox event key (once per ticket and event) and whom it mails."""

    trigger: Trigger
    event: str
    to: str


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and a.strip().lower() == b.strip().lower()  # type: ignore[union-attr]


def after_agent_change(ticket: Ticket, entries: Sequence[TimelineEntry], *, brand: Brand | None,
                       actor_email: str | None, agents: Collection[str], public: bool = True) -> list[Fired]:
    """What an agent's change fired, from the timeline entries it made (`ticket` as it is after the change):
    the new assignee is told unless they assigned themselves or are no active agent (`agents`, lower-cased: a
    mistyped or outside address in the assignee field is never mailed the ticket); the requester is told of a
    solve (when the brand has that on, the ticket was not imported, and the requester did not solve it). An
    internal note (`public=False`) fires nothing, whatever it changed."""
    if ticket.id is None or not public:
        return []
    fired: list[Fired] = []
    for entry in entries:
        if (entry.field == "assignee" and entry.new and not _same(entry.new, actor_email)
                and entry.new.strip().lower() in agents and is_on(brand, Trigger.ASSIGNEE_ASSIGNED)):
            fired.append(Fired(Trigger.ASSIGNEE_ASSIGNED, f"assigned:{ticket.id}:{entry.version}", entry.new))
        if (entry.field == "status" and entry.new == TicketStatus.SOLVED and not ticket.suppress_triggers
                and ticket.requester and not _same(ticket.requester, actor_email)
                and is_on(brand, Trigger.REQUESTER_SOLVED)):
            fired.append(Fired(Trigger.REQUESTER_SOLVED, f"solved:{ticket.id}:{entry.version}", ticket.requester))
    return fired


def after_customer_reply(ticket: Ticket, comment_id: str | None, *, author: str | None, brand: Brand | None,
                         importing: bool, assignee_active: bool) -> Fired | None:
    """The assignee told of the customer's mail on their ticket; never for imported mail, a ticket with no
    assignee or one who is no active agent (`assignee_active`), or mail the assignee wrote themselves."""
    if importing or ticket.id is None or comment_id is None or not ticket.assignee or not assignee_active:
        return None
    if _same(author, ticket.assignee) or not is_on(brand, Trigger.ASSIGNEE_CUSTOMER_REPLY):
        return None
    return Fired(Trigger.ASSIGNEE_CUSTOMER_REPLY, f"customer-reply:{comment_id}", ticket.assignee)


def without(addresses: Iterable[str], agent_email: str | None) -> tuple[str, ...]:
    """The addresses but the agent's own: an agent's reply never mails that same agent (say, as a follower)."""
    return tuple(a for a in addresses if not _same(a, agent_email))
