"""An agent's reply, written in the console, added to a ticket's conversation.

This only records the reply. Emailing it to the requester is the outbound-mail work's job: that will publish the
stored reply to the outbound-mail topic. Nothing here sends, or pretends to send, any mail.
"""

from __future__ import annotations

from gmail_tickets.domain.model import Comment
from gmail_tickets.errors import GmailTicketsError
from gmail_tickets.ports import UnitOfWork
from gmail_tickets.services.deps import Deps

AGENT = "agent"
MAX_REPLY_CHARS = 5_000
"""Room for a long answer, and small enough that any reply fits the console's 64 KiB form limit even when every
character is non-ASCII (up to 12 bytes each once form-encoded)."""


class ReplyRefused(GmailTicketsError):
    """The reply was not added; the message is meant for the agent."""


class TicketNotFound(ReplyRefused):
    """There is no such ticket (deleted, or a mistyped id)."""


def reply_as_agent(deps: Deps, ticket_id: int, *, author: str, body: str) -> Comment:
    """Add `body` to ticket `ticket_id` as a reply by the signed-in agent `author` ("admin" for the embedded
    admin, an email address behind IAP); return the stored comment.

    The body keeps its inner whitespace (agents format with blank lines), loses the blank edges, and uses plain
    newlines (browsers send a textarea's line breaks as CRLF). The comment carries the ticket's connection,
    the address it will go out from once outbound mail sends it, and no Gmail or Message-ID: it has not been
    sent. Raises TicketNotFound for an unknown ticket, ReplyRefused for an empty or too long body.
    """
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ReplyRefused("The reply is empty: write something before adding it.")
    if len(text) > MAX_REPLY_CHARS:
        raise ReplyRefused(f"The reply is {len(text):,} characters long; the most a reply can have is "
                           f"{MAX_REPLY_CHARS:,}.")
    author = author.strip()
    if not author:
        raise ReplyRefused("Nobody is signed in to reply as.")
    now = deps.clock.now()

    def work(uow: UnitOfWork) -> Comment:
        ticket = uow.get_ticket(ticket_id)
        if ticket is None:
            raise TicketNotFound(f"There is no ticket #{ticket_id}.")
        comment = Comment(ticket_id=ticket_id, author=author, body_text=text, created_at=now,
                          connection=ticket.connection, author_kind=AGENT)
        uow.add_comment(comment)
        return comment

    return deps.store.atomically(work)
