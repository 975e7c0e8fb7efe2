"""/api/v1/agents (who is signed in; every agent, for admins) and /api/v1/support-addresses (admins: each
address's health, as the console's Support addresses page shows it)."""

from __future__ import annotations

from gmail_tickets.domain.people import Agent
from gmail_tickets.services import mailbox_health
from gmail_tickets.web.api.calls import Call
from gmail_tickets.web.api.models import AgentList, AgentOut, SupportAddressList, SupportAddressOut
from gmail_tickets.web.api.registry import REGISTRY


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
