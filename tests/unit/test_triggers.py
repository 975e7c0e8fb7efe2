"""Which triggers a change fires (domain/triggers.py), as tables: assignment, solve, a customer's reply, and what
never fires (internal notes, imported mail and tickets, an agent's own action, a brand's trigger turned off)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gmail_tickets.domain.model import Brand, Connection, Ticket, TriggerSetting
from gmail_tickets.domain.outbox import Notification, SendWindow
from gmail_tickets.domain.routing import GMAIL, REASON_TO_AGENTS, RELAY, route_notification
from gmail_tickets.domain.ticket_fields import TimelineEntry
from gmail_tickets.domain.triggers import (
    Fired,
    Trigger,
    after_agent_change,
    after_customer_reply,
    is_on,
    template_of,
    to_agents,
    without,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ANA, BO, DANA = "ana@acme.example", "bo@acme.example", "dana@customer.example"


def _ticket(**fields: object) -> Ticket:
    base: dict[str, object] = {"subject": "Printer", "requester": DANA, "connection": "help@acme.example", "id": 7}
    return Ticket(**{**base, **fields})  # type: ignore[arg-type]


def _entry(field: str, new: str | None, version: int = 3) -> TimelineEntry:
    return TimelineEntry(at=NOW, actor="Ana", field=field, old=None, new=new, version=version)


SOLVED_ON = Brand("b", "B", triggers={"requester-solved": TriggerSetting(enabled=True)})
ASSIGN_OFF = Brand("b", "B", triggers={"assignee-assigned": TriggerSetting(enabled=False)})


@pytest.mark.parametrize(("entries", "actor", "brand", "ticket", "public", "expected"), [
    # an assignment by someone else tells the assignee, keyed by the version it made
    ([_entry("assignee", BO)], ANA, None, _ticket(), True, [Fired(Trigger.ASSIGNEE_ASSIGNED, "assigned:7:3", BO)]),
    # taking a ticket oneself tells nobody (addresses compared case-insensitively)
    ([_entry("assignee", ANA)], ANA.upper(), None, _ticket(), True, []),
    # unassigning tells nobody
    ([_entry("assignee", None)], ANA, None, _ticket(), True, []),
    # solved: off by default ...
    ([_entry("status", "solved")], ANA, None, _ticket(), True, []),
    # ... on when the brand turned it on
    ([_entry("status", "solved", 4)], ANA, SOLVED_ON, _ticket(),
     True, [Fired(Trigger.REQUESTER_SOLVED, "solved:7:4", DANA)]),
    # never to the requester of a ticket imported on connect
    ([_entry("status", "solved")], ANA, SOLVED_ON, _ticket(suppress_triggers=True), True, []),
    # other statuses fire nothing
    ([_entry("status", "pending")], ANA, SOLVED_ON, _ticket(), True, []),
    # both at once
    ([_entry("assignee", BO, 5), _entry("status", "solved", 5)], ANA, SOLVED_ON, _ticket(), True,
     [Fired(Trigger.ASSIGNEE_ASSIGNED, "assigned:7:5", BO), Fired(Trigger.REQUESTER_SOLVED, "solved:7:5", DANA)]),
    # an internal note fires nothing, whatever it changed
    ([_entry("assignee", BO), _entry("status", "solved")], ANA, SOLVED_ON, _ticket(), False, []),
    # a brand that turned assignment mail off
    ([_entry("assignee", BO)], ANA, ASSIGN_OFF, _ticket(), True, []),
    # the shared admin secret (no account) assigning: the assignee is told
    ([_entry("assignee", BO)], None, None, _ticket(), True, [Fired(Trigger.ASSIGNEE_ASSIGNED, "assigned:7:3", BO)]),
])
def test_what_an_agent_change_fires(entries: list[TimelineEntry], actor: str | None, brand: Brand | None,
                                    ticket: Ticket, public: bool, expected: list[Fired]) -> None:
    assert after_agent_change(ticket, entries, brand=brand, actor_email=actor, agents={ANA, BO},
                              public=public) == expected


def test_only_an_active_agent_is_told_of_an_assignment() -> None:
    """A mistyped or outside address in the assignee field is never mailed the ticket."""
    entries = [_entry("assignee", "dana@customer.example")]
    assert after_agent_change(_ticket(), entries, brand=None, actor_email=ANA, agents={ANA, BO}) == []
    assert after_agent_change(_ticket(), [_entry("assignee", BO)], brand=None, actor_email=ANA, agents={ANA}) == []


@pytest.mark.parametrize(("ticket", "author", "importing", "brand", "active", "expected"), [
    (_ticket(assignee=ANA), DANA, False, None, True,
     Fired(Trigger.ASSIGNEE_CUSTOMER_REPLY, "customer-reply:c9", ANA)),
    (_ticket(), DANA, False, None, True, None),  # nobody assigned
    (_ticket(assignee=ANA), DANA, True, None, True, None),  # imported mail
    (_ticket(assignee=ANA), "Ana@Acme.example", False, None, True, None),  # the assignee's own mail
    (_ticket(assignee=ANA), DANA, False, None, False, None),  # the assignee is no (longer an) active agent
    (_ticket(assignee=ANA), DANA, False,
     Brand("b", "B", triggers={"assignee-customer-reply": TriggerSetting(enabled=False)}), True, None),
])
def test_what_a_customer_reply_fires(ticket: Ticket, author: str, importing: bool, brand: Brand | None,
                                     active: bool, expected: Fired | None) -> None:
    assert after_customer_reply(ticket, "c9", author=author, brand=brand, importing=importing,
                                assignee_active=active) == expected


def test_defaults_on_and_off_and_the_brand_s_own_texts() -> None:
    plain = Brand("b", "B", ack_template="Hi")
    assert [t for t in Trigger if not is_on(plain, t)] == [Trigger.REQUESTER_SOLVED]
    assert all(is_on(None, t) for t in Trigger if t != Trigger.REQUESTER_SOLVED)
    off = Brand("b", "B", triggers={"request-received": TriggerSetting(enabled=False)})
    assert not is_on(off, Trigger.REQUEST_RECEIVED)
    assert template_of(plain, Trigger.REQUEST_RECEIVED) == "Hi"  # the acknowledgement's text is its template
    own = Brand("b", "B", triggers={"assignee-assigned": TriggerSetting(template="Yours: {{ ticket_id }}")})
    assert template_of(own, Trigger.ASSIGNEE_ASSIGNED) == "Yours: {{ ticket_id }}"
    assert template_of(own, Trigger.REQUESTER_SOLVED) is None and is_on(own, Trigger.ASSIGNEE_ASSIGNED)


def test_an_agent_is_never_mailed_their_own_reply() -> None:
    assert without([DANA, "ANA@acme.example", BO], ANA) == (DANA, BO)
    assert without([DANA], None) == (DANA,)


@pytest.mark.parametrize(("event", "agents"), [
    ("assigned:7:3", True), ("customer-reply:c9", True), ("solved:7:4", False), ("created", False),
    ("reply:c1", False),
])
def test_mail_to_agents_goes_through_a_configured_relay(event: str, agents: bool) -> None:
    assert to_agents(event) is agents
    n = Notification(id="n", ticket_id=7, event=event, connection="help@acme.example",
                     from_address="help@acme.example", to=(ANA,), subject="s", text="t", message_id="m@x")
    window, gmail = SendWindow("help@acme.example"), Connection("help@acme.example")
    via_relay = route_notification(n, gmail, window, send_limit=None, now=NOW, relay_configured=True)
    assert via_relay.via == (RELAY if agents else GMAIL)
    assert (via_relay.reason == REASON_TO_AGENTS) is agents
    no_relay = route_notification(n, gmail, window, send_limit=None, now=NOW, relay_configured=False)
    assert no_relay.via == GMAIL  # no relay: through the brand's support address
