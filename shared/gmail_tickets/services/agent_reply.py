"""An agent's reply, written in the console: added to the ticket's conversation and, in the same transaction,
queued as mail to the requester (or their Reply-To, when allowed) and the followers (an outbox record; see
services/notifications.py). The reply carries our signed Message-ID, so the customer's answer threads back onto
the ticket.
"""

from __future__ import annotations

from collections.abc import Sequence

from gmail_tickets.domain.last_reply import AGENT
from gmail_tickets.domain.model import Attachment, Comment, Ticket
from gmail_tickets.domain.outbox import AttachmentRef
from gmail_tickets.domain.reply_target import reply_target
from gmail_tickets.domain.said import said
from gmail_tickets.domain.ticket_activity import note_comment
from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.domain.webhooks import WebhookEvent
from gmail_tickets.errors import GmailTicketsError
from gmail_tickets.ports import UnitOfWork
from gmail_tickets.services import webhook_events
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.notifications import agent_reply, announce
from gmail_tickets.services.own_addresses import ticket_addresses
from gmail_tickets.services.ticket_changes import FieldChanges, NoSuchTicket, checked, submit
from gmail_tickets.services.trigger_mail import ChangeContext, queue_after_agent_change

MAX_REPLY_CHARS = 5_000
"""Room for a long answer, and small enough that any reply fits the console's 64 KiB form limit even when every
character is non-ASCII (up to 12 bytes each once form-encoded)."""


class ReplyRefused(GmailTicketsError):
    """The reply was not added; the message is meant for the agent."""


class TicketNotFound(ReplyRefused):
    """There is no such ticket (deleted, or a mistyped id)."""


def check_reply(body: str) -> str:
    """The reply's text as it will be stored: plain newlines (browsers send a textarea's line breaks as CRLF),
    blank edges trimmed, inner whitespace kept. Raises ReplyRefused when empty or too long, so the console can
    check a reply before it stores the reply's files."""
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ReplyRefused(said("The reply is empty: write something before adding it."))
    if len(text) > MAX_REPLY_CHARS:
        raise ReplyRefused(said("The reply is %(length)s characters long; the most a reply can have is %(most)s.",
                                length=len(text), most=MAX_REPLY_CHARS))
    return text


def _refuse_invalid_address(ticket: Ticket, conversation: Sequence[Comment], confirmed: str | None) -> None:
    """A reply that would go to a requester address no server accepts is refused before anything is stored: a
    clear word to the agent instead of a send that fails for good (an internal note is still allowed)."""
    if ticket.invalid_address is None:
        return
    if reply_target(ticket, conversation).address(confirmed).lower() == ticket.requester.lower():
        raise ReplyRefused(said("No reply can be mailed to %(address)s: the address is invalid (%(why)s). Add an "
                                "internal note instead, or reach the customer another way.",
                                address=ticket.requester, why=ticket.invalid_address))


def reply_as_agent(deps: Deps, ticket_id: int, *, author: str, body: str, author_email: str | None = None,
                   signature: str = "", attachments: Sequence[Attachment] = (),
                   reply_to_confirmed: str | None = None, public: bool = True,
                   submit_as: TicketStatus | None = None, version: int | None = None) -> Comment:
    """Add `body` to ticket `ticket_id` as a reply by the signed-in agent named `author` (account
    `author_email`; None for the shared admin secret, "admin"); return the stored comment. The mail goes out from
    the support address under the agent's name and brand ("Ana (Acme Support)"; the brand alone for the shared
    secret) with `signature` below the text; the comment keeps the text as written.

    The body is stored as `check_reply` makes it. The comment carries the ticket's connection,
    the address it goes out from, and the Message-ID it is sent with. `attachments` are files already kept in
    the BlobStore (blob_key set); mail with files goes through the relay. `reply_to_confirmed` is the requester's
    Reply-To the agent ticked "reply there instead" for (domain/reply_target.py). Raises TicketNotFound for an unknown
    ticket, ReplyRefused for an empty or too long body.

    `public=False` makes it an internal note: stored, shown to agents only, never mailed (no outbox record, so
    no notification of any kind). A public reply also fires what its status change fires (the solved mail:
    domain/triggers.py). Either way it is an agent action: the ticket is submitted as `submit_as`
    (a new ticket becomes open when none is chosen), checked against the form's `version` (EditConflict when
    the ticket changed meanwhile: nothing is written).
    """
    text = check_reply(body)
    author = author.strip()
    if not author:
        raise ReplyRefused(said("Nobody is signed in to reply as."))
    now = deps.clock.now()
    files = tuple(AttachmentRef(a.filename, a.content_type, a.size, a.blob_key) for a in attachments if a.blob_key)
    conversation = deps.store.comments(ticket_id)
    before = deps.store.get_ticket(ticket_id)  # its brand, read outside the transaction (a cached store read)
    support = set(deps.own_addresses.among(deps.store, ticket_addresses(before, conversation)))
    brand = deps.brands.get(deps.store, before.brand_id) if before is not None else None
    if public and before is not None:
        _refuse_invalid_address(before, conversation, reply_to_confirmed)
    queued: list[str] = []

    def work(uow: UnitOfWork) -> Comment:
        queued.clear()
        try:
            ticket = checked(uow, ticket_id, version)
        except NoSuchTicket as missing:
            raise TicketNotFound(str(missing)) from missing
        entries = submit(ticket, FieldChanges(status=submit_as), actor=author, now=now)
        comment = Comment(ticket_id=ticket_id, author=author, body_text=text, created_at=now,
                          connection=ticket.connection, author_kind=AGENT, attachments=list(attachments),
                          message_id=deps.tokens.message_id(ticket_id) if public else None, public=public,
                          author_email=author_email)
        note_comment(ticket, comment, now=now)  # the reply (or note) moves the ticket up the views
        uow.put_ticket(ticket)
        uow.add_comment(comment)
        webhook_events.emit(deps, uow, WebhookEvent.COMMENT_CREATED, ticket=ticket, comment=comment)
        if entries:
            webhook_events.emit(deps, uow, WebhookEvent.TICKET_UPDATED, ticket=ticket)
        if not public:
            return comment  # an internal note: no mail of any kind, whatever it changed
        mail = agent_reply(deps, ticket, comment, brand=brand, conversation=conversation, attachments=files,
                           ours=support | {ticket.connection.lower()}, now=now,
                           reply_to_confirmed=reply_to_confirmed,
                           agent_name=author if author_email else "", signature=signature, agent_email=author_email)
        if mail is not None:
            uow.put_notification(mail)
            queued.append(mail.id)
        # a reply changes the status only (never the assignee): no agents need reading for an assignment
        context = ChangeContext(brand, frozenset(support | {ticket.connection.lower()}), tuple(conversation))
        queued.extend(queue_after_agent_change(deps, uow, ticket, entries, context, agent=author,
                                               agent_email=author_email, now=now))
        return comment

    comment = deps.store.atomically(work)
    announce(deps, queued)
    webhook_events.announce(deps)
    return comment
