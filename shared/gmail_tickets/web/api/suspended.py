"""/api/v1/suspended-mail: mail kept but not made a ticket; an agent recovers one (services/suspended_mail.py: the
ticket or comment it would have been, exactly once) or deletes it, as in the console."""

from __future__ import annotations

from gmail_tickets.services import suspended_mail
from gmail_tickets.web.api.calls import Answer, Call
from gmail_tickets.web.api.models import PageQuery, Recovered, SuspendedOut, SuspendedPage, TicketOut
from gmail_tickets.web.api.problems import Problem, not_found
from gmail_tickets.web.api.registry import REGISTRY
from gmail_tickets.web.api.tickets import page_request

TAG = "suspended-mail"


@REGISTRY.add("GET", "/suspended-mail", summary="List suspended mail", tag=TAG, query=PageQuery,
              response=SuspendedPage)
def list_suspended(call: Call) -> SuspendedPage:
    """Mail kept but not made a ticket (auto-replies, bulk, loops, bursts, copies), newest first."""
    store = call.deps.store
    page = store.suspended_page(page_request(call.query.cursor, call.query.limit))
    return SuspendedPage(items=[SuspendedOut(id=s.id, support_address=s.connection, sender=s.sender,
                                             subject=s.subject, reason=s.reason, created_at=s.created_at,
                                             duplicate_of_ticket=s.duplicate_of_ticket) for s in page.items],
                         total=store.count_suspended(), next_cursor=page.older, prev_cursor=page.newer)


@REGISTRY.add("POST", "/suspended-mail/<suspended_id>/recover", summary="Recover suspended mail", tag=TAG,
              response=Recovered)
def recover_suspended(call: Call, suspended_id: str) -> Recovered:
    """Make the mail what it would have been: a new ticket (the requester gets the acknowledgement), or a comment
    on the ticket it answers when its sender is on that ticket. Once: the mail leaves the suspended list, and
    recovering it again answers 409 naming the ticket. A copy set aside, or mail whose bytes were not kept: 409."""
    try:
        recovery = suspended_mail.recover(call.deps, suspended_id, actor=call.agent.email)
    except suspended_mail.SuspendedNotFound as error:
        raise not_found(str(error)) from error
    except suspended_mail.RecoveryRefused as error:
        raise Problem(409, "Conflict", str(error)) from error
    ticket = call.deps.store.get_ticket(recovery.ticket_id)
    if ticket is None:  # deleted meanwhile: nothing to show, but the recovery stands
        raise not_found(f"Ticket #{recovery.ticket_id} is gone.")
    return Recovered(suspended_id=suspended_id, ticket=TicketOut.of(ticket), comment_id=recovery.comment_id,
                     new_ticket=recovery.new_ticket)


@REGISTRY.add("DELETE", "/suspended-mail/<suspended_id>", summary="Delete suspended mail", tag=TAG, status=204)
def delete_suspended(call: Call, suspended_id: str) -> Answer:
    """Drop it from the suspended list for good (it is never fetched again). A recovered mail: 409."""
    try:
        suspended_mail.delete(call.deps, suspended_id, actor=call.agent.email)
    except suspended_mail.SuspendedNotFound as error:
        raise not_found(str(error)) from error
    except suspended_mail.RecoveryRefused as error:
        raise Problem(409, "Conflict", str(error)) from error
    return Answer(None, 204)
