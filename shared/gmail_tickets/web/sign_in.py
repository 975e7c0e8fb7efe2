"""Signing in and out, the one-time setup link that makes the first admin, and accepting an invitation.

Every failed sign-in answers with one message whatever went wrong (no such account, wrong password, deactivated),
so the page cannot be used to learn who has an account; guesses are limited per account and per client address
(web/throttle.py). The shared admin secret's form shows only while the desk has no admin account.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from gmail_tickets.domain.people import InviteKind, normal_email
from gmail_tickets.domain.said import said
from gmail_tickets.errors import ActionRefused
from gmail_tickets.services import people
from gmail_tickets.services.deps import Deps
from gmail_tickets.web.auth import SESSIONS, AdminAuth, safe_next, start_session
from gmail_tickets.web.labels import label, refusal
from gmail_tickets.web.throttle import Throttle

bp = Blueprint("auth", __name__)

SIGN_IN_FAILED = said("That email and password do not match an active account.")
TOO_MANY = said("Too many attempts. Wait a few minutes, then try again.")
SECRET_ENDED = said("The admin secret no longer works now that the desk has an admin account: sign in with your "
                    "account.")


def install(app: Flask, admin_auth: AdminAuth) -> None:
    app.extensions["gmail_tickets.admin_auth"] = admin_auth
    app.extensions["gmail_tickets.throttle"] = Throttle(
        now=lambda: app.extensions["gmail_tickets.deps"].clock.now().timestamp())
    app.register_blueprint(bp)


def _deps() -> Deps:
    return current_app.extensions["gmail_tickets.deps"]


def _signed_in(who: str, next_url: str) -> Response:
    start_session(who, current_app.extensions[SESSIONS])
    return redirect(next_url)  # type: ignore[return-value]


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | str | tuple[str, int]:
    admin_auth: AdminAuth = current_app.extensions["gmail_tickets.admin_auth"]
    next_url = safe_next(request.values.get("next"))
    if not admin_auth.uses_form:  # identity comes with each request (IAP) and the guard has checked it
        return redirect(next_url)  # type: ignore[return-value]
    has_admin = people.admin_exists(_deps())
    forms = {"password": bool(_deps().store.list_agents()), "secret": not has_admin}
    if request.method == "GET":
        return render_template("sign_in.html", next_url=next_url, forms=forms)
    throttle: Throttle = current_app.extensions["gmail_tickets.throttle"]
    address = request.remote_addr or ""
    secret_form = "secret" in request.form
    account = "admin secret" if secret_form else normal_email(request.form.get("email", ""))
    if throttle.blocked(account, address):
        flash(label(TOO_MANY), "error")
        return render_template("sign_in.html", next_url=next_url, forms=forms), 429
    if secret_form:
        if has_admin:
            message = SECRET_ENDED
        elif admin_auth.check(request.form.get("secret", "")):
            return _signed_in("admin", next_url)
        else:
            message = _("That admin secret is not right.")
    else:
        agent = people.sign_in(_deps(), account, request.form.get("password", ""))
        if agent is not None:
            return _signed_in(agent.email, next_url)
        message = SIGN_IN_FAILED
    throttle.failed(account, address)
    flash(label(message), "error")
    return render_template("sign_in.html", next_url=next_url, forms=forms), 401


@bp.post("/sign-out")
def sign_out() -> Response:
    current_app.extensions[SESSIONS].end(session.get("sid"))  # every copy of the cookie stops working
    session.clear()
    flash(_("Signed out."), "info")
    return redirect(url_for("auth.sign_in"))  # type: ignore[return-value]


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token: str) -> Response | str | tuple[str, int]:
    """The first admin names themselves: a link printed by `demo` and `serve` while there is no admin."""
    return _account_page(token, InviteKind.SETUP)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str) -> Response | str | tuple[str, int]:
    """An invited agent chooses their name and password."""
    return _account_page(token, InviteKind.INVITE)


def _account_page(token: str, kind: InviteKind) -> Response | str | tuple[str, int]:
    invite = people.pending_invite(_deps(), token, kind)
    if invite is None or (kind == InviteKind.SETUP and people.admin_exists(_deps())):
        return render_template("error.html", title=_("Link not valid"),
                               message=_("This link has been used already or has expired. Sign in, or ask an "
                                         "admin for a new link.")), 404
    form = {"email": request.form.get("email", invite.email), "name": request.form.get("name", "")}
    if request.method == "POST":
        password = request.form.get("password", "")
        try:
            if password != request.form.get("confirm", ""):
                raise ActionRefused(_("The two passwords differ: type the same one twice."))
            agent = people.accept(_deps(), token, kind, name=form["name"], password=password, email=form["email"])
        except ActionRefused as error:
            flash(refusal(error), "error")
            return render_template("account_form.html", invite=invite, kind=kind, form=form), 400
        flash(_("Welcome, %(name)s. You are signed in.", name=agent.label), "success")
        return _signed_in(agent.email, url_for("tickets.list_tickets"))
    return render_template("account_form.html", invite=invite, kind=kind, form=form)
