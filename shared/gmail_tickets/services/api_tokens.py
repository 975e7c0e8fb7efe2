"""Per-agent API tokens: made in the console (shown once), kept hashed, revoked there; each request's bearer
token is checked here and stands for its agent with the agent's current role (read on every request, so a role
change or a deactivation takes effect at once)."""

from __future__ import annotations

from gmail_tickets.domain.api_access import ApiToken, new_secret, token_id
from gmail_tickets.domain.people import Agent
from gmail_tickets.errors import ActionRefused
from gmail_tickets.services import audit
from gmail_tickets.services.deps import Deps

MAX_NAME = 80
MAX_TOKENS_PER_AGENT = 20


def create(deps: Deps, agent: Agent, name: str) -> tuple[str, ApiToken]:
    """A new token for `agent`: (the secret, to show once; the stored record, which never holds it)."""
    name = " ".join(name.split())
    if not name:
        raise ActionRefused("Name the token (what will use it), so you can tell it apart later.")
    if len(name) > MAX_NAME:
        raise ActionRefused(f"A token's name can have at most {MAX_NAME} characters.")
    if sum(t.active for t in deps.store.list_api_tokens(agent.email)) >= MAX_TOKENS_PER_AGENT:
        raise ActionRefused(f"You have {MAX_TOKENS_PER_AGENT} tokens already: revoke one you no longer use.")
    secret = new_secret()
    token = ApiToken(id=token_id(secret), agent=agent.email.lower(), name=name, hint=secret[:8],
                     created_at=deps.clock.now())
    deps.store.save_api_token(token)
    audit.record(deps, actor=agent.email, action="api token created", detail=name)
    return secret, token


def revoke(deps: Deps, actor: Agent, token_id_: str) -> ApiToken:
    """Revoke a token: its own agent may, and any admin."""
    token = deps.store.get_api_token(token_id_)
    if token is None or (token.agent != actor.email.lower() and not actor.is_admin):
        raise ActionRefused("There is no such token.")
    if token.active:
        token.revoked_at = deps.clock.now()
        deps.store.save_api_token(token)
        audit.record(deps, actor=actor.email, action="api token revoked", detail=f"{token.name} ({token.agent})")
    return token


def authenticate(deps: Deps, secret: str) -> tuple[ApiToken, Agent] | None:
    """The active token and active agent a bearer secret stands for, else None."""
    if not secret or len(secret) > 200:
        return None
    token = deps.store.get_api_token(token_id(secret))
    if token is None or not token.active:
        return None
    agent = deps.store.get_agent(token.agent)
    if agent is None or not agent.active:
        return None
    return token, agent
