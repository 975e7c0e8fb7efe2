"""Who is signed in, and what they may open: admins everything, agents only the pages listed here.

Deny by default: AGENT_ENDPOINTS is an allowlist, so a page added later is admin-only until someone decides
agents should have it (tests/e2e/test_console_roles.py walks the url_map and checks every other route answers an
agent 403). The agent is read from the Store on every request, so a role change or a deactivation takes effect
at once, not at the next sign-in.
"""

from __future__ import annotations

from flask import current_app, g, render_template
from flask_babel import gettext as _

from gmail_tickets.domain.people import Agent, Role
from gmail_tickets.services import people
from gmail_tickets.services.deps import Deps

# Everything an agent works with: tickets (and their files, search, replies, the suspended and quarantined mail), the
# notifications with "send again" (an agent's own reply may need it), their own profile, and signing out.
AGENT_ENDPOINTS = frozenset({
    "tickets.home", "tickets.list_tickets", "tickets.api_tickets", "tickets.show_ticket", "tickets.reply",
    "tickets.update_fields", "tickets.attachment", "tickets.suspended", "tickets.recover_suspended",
    "tickets.delete_suspended", "tickets.quarantine", "tickets.requester",
    "search.search_tickets",
    "outbox.list_notifications", "outbox.send_again",
    "profile.show", "profile.save", "profile.change_password",
    "api_tokens.show", "api_tokens.create", "api_tokens.revoke",
    "auth.sign_out", "live.changes", "live.typing", "language.choose",
})

SECRET_ADMIN = "admin"
"""Who signed in with the shared admin secret: an admin while the desk has no admin account, nobody after."""


def _deps() -> Deps:
    return current_app.extensions["gmail_tickets.deps"]


def resolve(email: str) -> Agent | None:
    """The active agent a session or an identity stands for, else None."""
    if email == SECRET_ADMIN:
        if people.admin_exists(_deps()):
            return None  # the first admin account ends the shared secret
        return Agent(email=SECRET_ADMIN, name=SECRET_ADMIN, role=Role.ADMIN)
    agent = _deps().store.get_agent(email)
    return agent if agent is not None and agent.active else None


def current() -> Agent:
    """The signed-in agent (the guard has set it for every page but the public ones)."""
    return g.agent  # type: ignore[no-any-return]


def actor() -> str:
    """Who the audit log names for this request."""
    agent = g.get("agent")
    return agent.email if agent is not None else ""


def refused(endpoint: str | None, agent: Agent) -> tuple[str, int] | None:
    """The 403 page when `agent` may not open `endpoint`; None when they may."""
    if agent.is_admin or endpoint in AGENT_ENDPOINTS:
        return None
    return render_template("error.html", title=_("Admins only"),
                           message=_("This page is for admins. Ask an admin if you need something changed here.")), 403
