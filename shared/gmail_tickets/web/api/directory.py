"""/api/v1/agents (who is signed in; every agent, for admins), /api/v1/support-addresses (admins: each address's
health, as the console's Support addresses page shows it) and /api/v1/suspended-mail (mail not made a ticket)."""

from __future__ import annotations

from gmail_tickets.domain.people import Agent
from gmail_tickets.services import mailbox_health
from gmail_tickets.web.api.calls import Call
from gmail_tickets.web.api.models import (
    AgentList,
    AgentOut,
    PageQuery,
    SupportAddressList,
    SupportAddressOut,
    SuspendedOut,
    SuspendedPage,
)
from gmail_tickets.web.api.registry import REGISTRY
from gmail_tickets.web.api.tickets import page_request


def _agent(a: Agent) -> AgentOut:
    return AgentOut(email=a.email, name=a.name, role=a.role.value, active=a.active)


@REGISTRY.add("GET", "/agents/me", summary="The token's agent", tag="agents", response=AgentOut)
def me(call: Call) -> AgentOut:
    return _agent(call.agent)


@REGISTRY.add("GET", "/agents", summary="List agents (admins)", tag="agents", response=AgentList, admin=True)
def list_agents(call: Call) -> AgentList:
    return AgentList(items=[_agent(a) for a in call.deps.store.list_agents()])


@REGISTRY.add("GET", "/support-addresses", summary="Support addresses and their health (admins)",
              tag="support-addresses", response=SupportAddressList, admin=True)
def list_support_addresses(call: Call) -> SupportAddressList:
    return SupportAddressList(items=[
        SupportAddressOut(address=r.address, kind=r.kind, brand_id=r.brand_id, is_default=r.is_default,
                          status=r.status, reason=r.reason, last_sync=r.last_sync, lag_seconds=r.lag_seconds,
                          sends_24h=r.sends_24h, send_limit=r.send_limit, warnings=list(r.warnings))
        for r in mailbox_health.health(call.deps)])


@REGISTRY.add("GET", "/suspended-mail", summary="List suspended mail", tag="suspended-mail", query=PageQuery,
              response=SuspendedPage)
def list_suspended(call: Call) -> SuspendedPage:
    """Mail kept but not made a ticket (auto-replies, bulk, loops, bursts, copies), newest first."""
    store = call.deps.store
    page = store.suspended_page(page_request(call.query.cursor, call.query.limit))
    return SuspendedPage(items=[SuspendedOut(id=s.id, support_address=s.connection, sender=s.sender,
                                             subject=s.subject, reason=s.reason, created_at=s.created_at,
                                             duplicate_of_ticket=s.duplicate_of_ticket) for s in page.items],
                         total=store.count_suspended(), next_cursor=page.older, prev_cursor=page.newer)
