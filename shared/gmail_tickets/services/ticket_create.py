"""A ticket made without a mail: a web form or another channel posts the customer's request through the API.
It is the customer's request, so it is written as theirs (the description, by the requester) and fires what a
mailed request fires: the request-received acknowledgement to the requester, under the same rules and limits
(services/notifications.py), queued in the ticket's own transaction."""

from __future__ import annotations

from dataclasses import dataclass

from gmail_tickets.domain.last_reply import CUSTOMER
from gmail_tickets.domain.mail_address import checked_address
from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.errors import GmailTicketsError
from gmail_tickets.ports import UnitOfWork
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.notifications import acknowledgement, announce, recent_automatic_mail

MAX_SUBJECT = 250
MAX_BODY = 50_000


class CreateRefused(GmailTicketsError):
    """The ticket was not made; the message says which field and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NewTicket:
    requester: str
    subject: str
    body: str
    requester_name: str = ""
    support_address: str | None = None  # None: the default support address


def _support_address(deps: Deps, wanted: str | None) -> tuple[str, str, set[str]]:
    """(address, brand id, every address of ours) for the ticket: the one asked for, else the default."""
    addresses = deps.store.list_support_addresses()
    ours = {a.address.lower() for a in addresses}
    if wanted is not None:
        found = next((a for a in addresses if a.address.lower() == wanted.strip().lower()), None)
        if found is None:
            raise CreateRefused("support_address", f"{wanted} is not one of the help desk's support addresses.")
    else:
        found = next((a for a in addresses if a.is_default), addresses[0] if addresses else None)
        if found is None:
            raise CreateRefused("support_address", "The help desk has no support address to answer from yet.")
    return found.address.lower(), found.brand_id, ours


def create_ticket(deps: Deps, new: NewTicket) -> Ticket:
    """Make the ticket and its description, and queue the acknowledgement, in one transaction."""
    checked = checked_address(new.requester)
    if not checked.usable:
        raise CreateRefused("requester", f"The requester's address is not valid: {checked.problem}.")
    requester = checked.address.lower()
    subject = " ".join(new.subject.split())
    if not subject or len(subject) > MAX_SUBJECT:
        raise CreateRefused("subject", f"The subject must have 1 to {MAX_SUBJECT} characters.")
    body = new.body.replace("\r\n", "\n").strip()
    if not body or len(body) > MAX_BODY:
        raise CreateRefused("body", f"The body must have 1 to {MAX_BODY} characters.")
    address, brand_id, ours = _support_address(deps, new.support_address)
    if requester in ours:
        raise CreateRefused("requester", "The requester cannot be one of the help desk's own addresses.")
    brand = deps.brands.get(deps.store, brand_id)
    now = deps.clock.now()
    queued: list[str] = []

    def work(uow: UnitOfWork) -> Ticket:
        queued.clear()
        recent = recent_automatic_mail(deps, uow, sender=requester, account=address, now=now)
        ticket = Ticket(subject=subject, requester=requester, requester_name=" ".join(new.requester_name.split()),
                        connection=address, brand_id=brand_id, created_at=now, received_at=now, updated_at=now,
                        last_reply_by=CUSTOMER, last_author=requester, last_author_kind="customer",
                        last_activity_at=now)
        ticket.id = uow.add_ticket(ticket)
        description = Comment(ticket_id=ticket.id, author=requester, body_text=body, created_at=now,
                              connection=address)
        uow.add_comment(description)
        ack = acknowledgement(deps, ticket, description, sender=requester, recent=recent, brand=brand,
                              customer_message_id=None, references=(), ours=ours | {address}, now=now)
        if ack is not None:
            uow.put_notification(ack)
            if not ack.is_settled:
                queued.append(ack.id)
        return ticket

    ticket = deps.store.atomically(work)
    announce(deps, queued)
    return ticket
