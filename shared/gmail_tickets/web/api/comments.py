"""/api/v1/tickets/{id}/comments: the conversation, and an agent's public reply (mailed) or internal note."""

from __future__ import annotations

from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.services import agent_reply, api_uploads, ticket_changes
from gmail_tickets.services.reply_files import FilesRefused
from gmail_tickets.web.api.calls import Answer, Call
from gmail_tickets.web.api.models import CommentCreate, CommentList, CommentOut
from gmail_tickets.web.api.preconditions import stale
from gmail_tickets.web.api.problems import Problem, not_found, refused_field
from gmail_tickets.web.api.registry import PREFIX, REGISTRY

TAG = "comments"


@REGISTRY.add("GET", "/tickets/<int:ticket_id>/comments", summary="List a ticket's comments", tag=TAG,
              response=CommentList)
def list_comments(call: Call, ticket_id: int) -> CommentList:
    """Oldest first; the first is the ticket's description. Internal notes have `public: false`."""
    if call.deps.store.get_ticket(ticket_id) is None:
        raise not_found(f"There is no ticket #{ticket_id}.")
    return CommentList(items=[CommentOut.of(c) for c in call.deps.store.comments(ticket_id)])


@REGISTRY.add("POST", "/tickets/<int:ticket_id>/comments", summary="Reply or add an internal note", tag=TAG,
              body=CommentCreate, response=CommentOut, status=201)
def add_comment(call: Call, ticket_id: int) -> Answer:
    """A public reply is mailed to the requester from the ticket's support address, with the agent's name and
    signature, as a reply written in the console; `public: false` makes an internal note (never mailed). `uploads`
    attach files uploaded before (POST /uploads), under the console's limits: 10 files, 10 MB in all."""
    b: CommentCreate = call.body
    me = call.agent
    try:
        files = api_uploads.attachments(call.deps, me.email, b.uploads)
    except api_uploads.UploadRefused as error:
        raise refused_field(f"body.uploads.{error.index}", str(error)) from error
    except FilesRefused as error:
        raise refused_field("body.uploads", str(error)) from error
    try:
        comment = agent_reply.reply_as_agent(
            call.deps, ticket_id, author=me.label, body=b.body, author_email=me.email, signature=me.signature,
            attachments=files, public=b.public, submit_as=TicketStatus(b.status.value) if b.status else None,
            version=b.version)
    except (agent_reply.TicketNotFound, ticket_changes.NoSuchTicket) as error:
        raise not_found(str(error)) from error
    except ticket_changes.EditConflict as conflict:
        raise Problem(409, "Conflict", stale(conflict)) from conflict
    except (agent_reply.ReplyRefused, ticket_changes.ChangeRefused) as error:
        raise refused_field("body", str(error)) from error
    return Answer(CommentOut.of(comment), 201, f"{PREFIX}/tickets/{ticket_id}/comments")
