"""Who may use the console, and as whom. Every route but sign-in, setup and accept-invite needs a signed-in agent;
what each agent may open is web/access.py's business. The proof differs by where the console runs.

Embedded: agents sign in with email and password (web/sign_in.py); the outcome is Flask's signed session cookie
naming a session kept server-side with its agent (web/sessions.py), so sign-out, deactivation, idle time and an
absolute limit end it for every copy of the cookie. Until the desk's first admin account exists (made through the
setup link `demo` and `serve` print), the shared admin secret signs in as "admin"; from then on it stops, live
sessions included. A reply posted into a session that has ended is kept and comes back in its box after sign-in.
Cloud: IAP identifies the person on every request through the `AdminAuth.identify` seam (web/iap_auth.py); they
are an admin when the deployment's admin settings name them, else the agent of that email, else nobody (403, "ask
an admin to invite you"). The session then only carries the CSRF token and flashes.
"""

from __future__ import annotations

import hmac
import secrets as random_secrets
from typing import NamedTuple, Protocol
from urllib.parse import urlsplit

from flask import Flask, Request, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import validate_csrf
from werkzeug.wrappers import Response
from wtforms import ValidationError

from gmail_tickets.ports import Secrets
from gmail_tickets.services import people
from gmail_tickets.web import access, live
from gmail_tickets.web.sessions import SessionRegistry

ADMIN_SECRET = "console-admin-secret"  # the embedded admin's sign-in secret (Secrets name)
SESSION_KEY = "console-session-key"  # signs the session cookie; shared by every instance of the cloud console
SESSIONS = "gmail_tickets.sessions"  # app.extensions key of the embedded console's SessionRegistry
REPLY_ENDPOINT = "tickets.reply"  # the form whose text is kept when its session has ended

# Endpoints reachable without a session: signing in (and its language switch), the setup and invitation links, and
# the stylesheet.
PUBLIC_ENDPOINTS = frozenset({"auth.sign_in", "auth.setup", "auth.accept_invite", "language.choose_signed_out",
                              "static"})


class Identity(NamedTuple):
    """Who a request vouches for by itself (IAP): the verified email, and whether the admin settings name them."""

    email: str
    admin: bool = False


class AdminAuth(Protocol):
    """How the console learns who is there."""

    uses_form: bool  # True: the sign-in page asks (password or admin secret); False: identity comes with requests

    def check(self, submitted: str) -> str | None:
        """"admin" when the submitted shared admin secret is right, else None."""

    def identify(self, req: Request) -> Identity | None:
        """The person a request vouches for by itself (IAP's signed header, say), else None."""


class SecretAuth:
    """The embedded console: agents' passwords, and the shared admin secret until the first admin account."""

    uses_form = True

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def check(self, submitted: str) -> str | None:
        return access.SECRET_ADMIN if hmac.compare_digest(submitted.strip().encode(), self._secret) else None

    def identify(self, req: Request) -> Identity | None:
        return None


def ensure_secret(secrets: Secrets, name: str) -> tuple[str, bool]:
    """The secret `name`, made now when absent: (value, created_now)."""
    value = secrets.get(name)
    if value:
        return value, False
    value = random_secrets.token_urlsafe(24)
    secrets.put(name, value)
    return value, True


def ensure_admin_secret(secrets: Secrets) -> tuple[str, bool]:
    """The admin sign-in secret and whether it was created now (the caller prints it once, then never)."""
    return ensure_secret(secrets, ADMIN_SECRET)


def _wants_json(req: Request) -> bool:
    return req.path.startswith("/api/") or req.accept_mimetypes.best == "application/json"


def safe_next(target: str | None) -> str:
    """Only same-site paths: a sign-in link must not become an open redirect."""
    if not target:
        return url_for("tickets.list_tickets")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("tickets.list_tickets")
    return target


def install(app: Flask, admin_auth: AdminAuth, sessions: SessionRegistry) -> None:
    """Guard every route. Must run before CSRF is installed: an anonymous POST answers 401, not a CSRF error
    that would tell it how far it got."""
    app.extensions[SESSIONS] = sessions

    def guard() -> Response | tuple[str, int] | None:
        if request.endpoint == "static":
            return None
        if not admin_auth.uses_form:
            return _identify_each_request(admin_auth)  # the sign-in page too: there is no form to show
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        email = (sessions.agent(session.get("sid"), use=not live.is_background(request))
                 if session.get("agent") else None)
        agent = access.resolve(email) if email else None
        if agent is not None:
            g.agent = agent
            return access.refused(request.endpoint, agent)
        if live.is_scripted(request):  # the agent's own next request ends the session (and keeps a reply typed into it)
            return "Sign-in required", 401
        if email:  # deactivated, or the admin secret once an admin account exists: that session is over
            sessions.end(session.get("sid"))
        kept = _end_session(sessions) if session.get("agent") else None
        if kept is not None:  # a reply typed into an ended session: sign in, and it is back in its box
            return redirect(url_for("auth.sign_in", next=url_for("tickets.show_ticket", ticket_id=kept)), 303)
        if request.method not in ("GET", "HEAD") or _wants_json(request):
            return "Sign-in required", 401
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))

    app.before_request(guard)


def _end_session(sessions: SessionRegistry) -> int | None:
    """Clear a session the registry no longer admits (signed out elsewhere, idle, too old, or from before a
    restart). A reply it was posting is kept first — only with the form's CSRF token valid for that session, so
    no other site can plant text in the box. Returns the ticket whose reply was kept."""
    ticket_id = (request.view_args or {}).get("ticket_id")
    body = request.form.get("body", "") if request.method == "POST" and request.endpoint == REPLY_ENDPOINT else ""
    token = None
    if isinstance(ticket_id, int) and body.strip():
        try:
            validate_csrf(request.form.get("csrf_token"))
            token = sessions.stash_draft(ticket_id, body)
        except ValidationError:
            token = None
    session.clear()
    if token is None:
        flash(_("Your session has ended. Sign in again."), "info")
        return None
    session["draft"] = token
    flash(_("Your session ended before the reply was added. Sign in again: your reply is kept and will be back "
            "in its box (choose any files again)."), "info")
    return int(ticket_id)  # type: ignore[arg-type]


def restored_draft(ticket_id: int) -> str:
    """The reply this browser typed into an ended session for this ticket, once, after sign-in; else ""."""
    token = session.pop("draft", None)
    sessions: SessionRegistry | None = current_app.extensions.get(SESSIONS)
    if token is None or sessions is None:
        return ""
    return sessions.take_draft(token, ticket_id) or ""


def _identify_each_request(admin_auth: AdminAuth) -> tuple[str, int] | None:
    """Identity that comes with each request (IAP's header) is checked on every request, not once: a session
    cookie alone must not admit a request that bypassed the proxy, nor keep someone in after access is revoked.
    The session still carries the CSRF token and flashes; it restarts when the identity changes."""
    identity = admin_auth.identify(request)
    if identity is None:
        return "Sign-in required", 401
    deps = current_app.extensions["gmail_tickets.deps"]
    agent = people.configured_admin(deps, identity.email) if identity.admin else access.resolve(identity.email)
    if agent is None:
        return render_template("not_invited.html", email=identity.email), 403
    if session.get("agent") != agent.email:
        start_session(agent.email)
    g.agent = agent
    return access.refused(request.endpoint, agent)


def start_session(who: str, sessions: SessionRegistry | None = None) -> None:
    """A fresh session on sign-in: nothing planted before it survives but the token of a kept reply. With a
    registry the id is a live session there; without one (IAP), the id only binds OAuth flows."""
    draft = session.get("draft")
    session.clear()
    if draft is not None:
        session["draft"] = draft
    session["agent"] = who
    session["sid"] = sessions.start(who) if sessions is not None else random_secrets.token_urlsafe(24)
    session.permanent = False


def session_id() -> str:
    """This session's id, which OAuth flows are bound to."""
    return str(session.get("sid", ""))
