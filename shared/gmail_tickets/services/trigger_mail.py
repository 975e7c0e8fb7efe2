"""The mail a fired trigger owes (domain/triggers.py): an outbox record, written by the caller in the very
transaction of the change that fired it (an assignment, a solve, a customer's mail), under the trigger's event key,
so it is owed exactly once however often the change is retried.

Mail to an assignee goes from the ticket's support address to the agent, on its own thread (subject "[#N] …"),
and through the relay where one is configured (domain/routing.py); the solved mail goes to the requester on the
ticket's thread, like a reply.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from gmail_tickets.domain import triggers
from gmail_tickets.domain.model import Brand, Comment, Ticket
from gmail_tickets.domain.outbox import Notification, notification_id
from gmail_tickets.domain.ticket_fields import TimelineEntry
from gmail_tickets.domain.triggers import TO_AGENTS, Fired
from gmail_tickets.mail.outbound import clean_header_text, gmail_thread_safe_subject, usable_message_id
from gmail_tickets.ports import OutboxUnit
from gmail_tickets.services import trigger_templates
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.notifications import text_as_html
from gmail_tickets.services.own_addresses import ticket_addresses


def _nonce(record_id: str) -> str:
    return hashlib.sha256(record_id.encode()).hexdigest()[:16]


def trigger_mail(deps: Deps, ticket: Ticket, fired: Fired, *, brand: Brand | None, ours: Collection[str],
                 now: datetime, agent: str = "", comment: str = "",
                 conversation: Sequence[Comment] = ()) -> Notification | None:
    """The outbox record for one fired trigger; None when its recipient is no address or one of ours."""
    to = fired.to.strip()
    if ticket.id is None or "@" not in to or to.lower() in ours:
        return None
    record_id = notification_id(ticket.id, fired.event, [to])
    text = trigger_templates.render(brand, fired.trigger, ticket, comment=comment, agent=agent,
                                    assignee=ticket.assignee or "")
    for_agent = fired.trigger in TO_AGENTS
    customer = [c.message_id for c in conversation if usable_message_id(c.message_id) and c.author_kind != "agent"]
    return Notification(
        id=record_id, ticket_id=ticket.id, event=fired.event, connection=ticket.connection,
        from_address=ticket.connection, from_name=brand.name if brand else "", to=(to,),
        reply_to=ticket.connection,
        subject=(clean_header_text(f"[#{ticket.id}] {ticket.subject}") if for_agent
                 else gmail_thread_safe_subject(ticket.subject)),
        text=text, html=text_as_html(text), message_id=deps.tokens.message_id(ticket.id, _nonce(record_id)),
        in_reply_to=None if for_agent or not customer else customer[-1],
        references=() if for_agent else tuple(customer[:-1]),
        automatic=True, gmail_thread_id=None if for_agent else ticket.gmail_thread_id,
        created_at=now, updated_at=now,
    )


@dataclass(frozen=True)
class ChangeContext:
    """What an agent's change needs to word its mails, read before its transaction (cached or cheap reads)."""

    brand: Brand | None
    ours: frozenset[str]
    conversation: tuple[Comment, ...] = ()
    agents: frozenset[str] = frozenset()  # the active agents' emails: who may be told of an assignment

    @classmethod
    def read(cls, deps: Deps, ticket_id: int, *, conversation: Sequence[Comment] | None = None,
             solving: bool = True, assignee: str | None = None) -> ChangeContext:
        """`solving`: the change may solve the ticket, so the conversation is read to thread the solved mail;
        `assignee`: the one the change assigns, who may be told."""
        ticket = deps.store.get_ticket(ticket_id)
        brand = deps.brands.get(deps.store, ticket.brand_id) if ticket is not None else None
        if conversation is None:
            conversation = deps.store.comments(ticket_id) if solving else ()
        ours = deps.own_addresses.among(deps.store, ticket_addresses(ticket, conversation, also=[assignee]))
        if ticket is not None:
            ours |= {ticket.connection.lower()}
        agents = frozenset(a.email.lower() for a in deps.store.list_agents() if a.active)
        return cls(brand, ours, tuple(conversation), agents)


def queue_after_agent_change(deps: Deps, uow: OutboxUnit, ticket: Ticket, entries: Sequence[TimelineEntry],
                       context: ChangeContext, *, agent: str, agent_email: str | None, now: datetime,
                       public: bool = True) -> list[str]:
    """Write the records an agent's change fired into `uow` (the change's own); return their ids to announce."""
    queued: list[str] = []
    fired = triggers.after_agent_change(ticket, entries, brand=context.brand, actor_email=agent_email,
                                        agents=context.agents, public=public)
    for one in fired:
        mail = trigger_mail(deps, ticket, one, brand=context.brand, ours=context.ours, now=now, agent=agent,
                            conversation=context.conversation)
        if mail is not None:
            uow.put_notification(mail)
            queued.append(mail.id)
    return queued

