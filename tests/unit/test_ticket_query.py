from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.domain.ticket_query import TicketFilter


def _ticket(**kw) -> Ticket:
    return Ticket(subject="s", requester="Ana@Example.com", connection="support@acme.test", **kw)


def test_an_empty_filter_matches_every_ticket() -> None:
    assert TicketFilter().matches(_ticket())


def test_each_field_narrows() -> None:
    t = _ticket(status=TicketStatus.PENDING, assignee="bo@acme.test", tags=["vip"])
    assert TicketFilter(statuses=(TicketStatus.PENDING, TicketStatus.OPEN)).matches(t)
    assert not TicketFilter(statuses=(TicketStatus.NEW,)).matches(t)
    assert TicketFilter(assignee="bo@acme.test").matches(t)
    assert not TicketFilter(unassigned=True).matches(t)
    assert TicketFilter(unassigned=True).matches(_ticket())
    assert TicketFilter(requester="ana@example.com").matches(t)
    assert not TicketFilter(tag="billing").matches(t)
    assert not TicketFilter(connection="other@acme.test").matches(t)
    assert not TicketFilter(brand_id="other").matches(t)
