"""Who may use the console. Every route needs a signed-in admin; the proof differs by where it runs.

Embedded: one admin secret, generated at first start and kept in Secrets, typed into the sign-in page; the
outcome is Flask's signed session cookie naming a session kept server-side (web/sessions.py), so sign-out, idle
time and an absolute limit end it for every copy of the cookie. A reply posted into a session that has ended is
kept and comes back in its box after sign-in. Cloud: IAP identifies the admin on every request through the
`AdminAuth.identify` seam (web/iap_auth.py); the session then only carries the CSRF token and flashes.
"""

from __future__ import annotations

import hmac
import secrets as random_secrets
from typing import Protocol
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Request, current_app, flash, redirect, render_template, request, session, url_for
from flask_wtf.csrf import validate_csrf
from werkzeug.wrappers import Response
from wtforms import ValidationError

from gmail_tickets.ports import Secrets
from gmail_tickets.web.sessions import SessionRegistry

ADMIN_SECRET = "console-admin-secret"  # the embedded admin's sign-in secret (Secrets name)
SESSION_KEY = "console-session-key"  # signs the session cookie; shared by every instance of the cloud console
SESSIONS = "gmail_tickets.sessions"  # app.extensions key of the embedded console's SessionRegistry
REPLY_ENDPOINT = "tickets.reply"  # the form whose text is kept when its session has ended

# Endpoints reachable without a session: the sign-in page itself and the stylesheet it uses.
PUBLIC_ENDPOINTS = frozenset({"auth.sign_in", "static"})


class AdminAuth(Protocol):
    """How an admin proves who they are."""

    uses_form: bool  # True: the sign-in page asks for a secret; False: identity comes with each request

    def check(self, submitted: str) -> str | None:
        """The admin's name when the submitted secret is right, else None."""

    def identify(self, req: Request) -> str | None:
        """The admin a request vouches for by itself (IAP's signed header, say), else None."""


class SecretAuth:
    """The embedded admin: whoever knows the secret."""

    uses_form = True

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def check(self, submitted: str) -> str | None:
        return "admin" if hmac.compare_digest(submitted.strip().encode(), self._secret) else None

    def identify(self, req: Request) -> str | None:
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


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a sign-in link must not become an open redirect."""
    if not target:
        return url_for("tickets.list_tickets")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("tickets.list_tickets")
    return target


def install(app: Flask, admin_auth: AdminAuth, sessions: SessionRegistry) -> None:
    """Guard every route and add the sign-in pages. Must run before CSRF is installed: an anonymous POST
    answers 401, not a CSRF error that would tell it how far it got."""
    app.extensions[SESSIONS] = sessions

    def guard() -> Response | tuple[str, int] | None:
        if not admin_auth.uses_form and request.endpoint != "static":
            return _identify_each_request(admin_auth)  # the sign-in page too: there is no form to show
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if session.get("admin") and sessions.touch(session.get("sid")):
            return None
        who = admin_auth.identify(request)
        if who:
            _start_session(who, sessions)
            return None
        kept = _end_session(sessions) if session.get("admin") else None
        if kept is not None:  # a reply typed into an ended session: sign in, and it is back in its box
            return redirect(url_for("auth.sign_in", next=url_for("tickets.show_ticket", ticket_id=kept)), 303)
        if request.method not in ("GET", "HEAD") or _wants_json(request):
            return "Sign-in required", 401
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))

    app.before_request(guard)
    app.register_blueprint(_blueprint(admin_auth))


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
        flash("Your session has ended. Sign in again.", "info")
        return None
    session["draft"] = token
    flash("Your session ended before the reply was added. Sign in again: your reply is kept and will be back "
          "in its box (choose any files again).", "info")
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
    who = admin_auth.identify(request)
    if not who:
        return "Sign-in required", 401
    if session.get("admin") != who:
        _start_session(who)
    return None


def _start_session(who: str, sessions: SessionRegistry | None = None) -> None:
    """A fresh session on sign-in: nothing planted before it survives but the token of a kept reply. With a
    registry the id is a live session there; without one (IAP), the id only binds OAuth flows."""
    draft = session.get("draft")
    session.clear()
    if draft is not None:
        session["draft"] = draft
    session["admin"] = who
    session["sid"] = sessions.start() if sessions is not None else random_secrets.token_urlsafe(24)
    session.permanent = False


def session_id() -> str:
    """This admin session's id, which OAuth flows are bound to."""
    return str(session.get("sid", ""))


def _blueprint(admin_auth: AdminAuth) -> Blueprint:
    bp = Blueprint("auth", __name__)

    @bp.route("/sign-in", methods=["GET", "POST"])
    def sign_in() -> Response | str | tuple[str, int]:
        next_url = _safe_next(request.values.get("next"))
        if not admin_auth.uses_form:  # identity comes with each request (IAP) and the guard has checked it
            return redirect(next_url)
        if request.method == "POST":
            who = admin_auth.check(request.form.get("secret", ""))
            if who:
                _start_session(who, current_app.extensions[SESSIONS])
                return redirect(next_url)
            flash("That admin secret is not right.", "error")
            return render_template("sign_in.html", next_url=next_url), 401
        return render_template("sign_in.html", next_url=next_url)

    @bp.route("/sign-out", methods=["POST"])
    def sign_out() -> Response:
        current_app.extensions[SESSIONS].end(session.get("sid"))  # every copy of the cookie stops working
        session.clear()
        flash("Signed out.", "info")
        return redirect(url_for("auth.sign_in"))

    return bp


