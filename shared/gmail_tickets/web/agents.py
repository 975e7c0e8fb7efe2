"""Admin pages for people: the Agents page (invite, change a role, deactivate or reactivate) and the Audit log.

An invitation's link is shown once, on the page that made it: only its hash is stored, so it cannot be shown
again (invite anew instead). Deactivating someone ends their sessions at once; the guard also reads each agent's
record on every request, so a role change applies on their next click.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gmail_tickets.domain.people import Role
from gmail_tickets.errors import ActionRefused
from gmail_tickets.services import people
from gmail_tickets.services.deps import Deps
from gmail_tickets.web import access
from gmail_tickets.web.auth import SESSIONS
from gmail_tickets.web.labels import label, refusal
from gmail_tickets.web.paging import link, page_request

bp = Blueprint("agents", __name__)

AUDIT_LIMIT = 100
ACTION_LABELS = {
    "mailbox.connect": _l("Connected a mailbox"), "mailbox.disconnect": _l("Disconnected a mailbox"),
    "mailbox.delete": _l("Deleted a support address"), "mailbox.default": _l("Made an address the default"),
    "mailbox.send_setting": _l("Changed how an address sends"),
    "brand.template": _l("Changed a brand's acknowledgement"), "brand.trigger": _l("Changed a brand's trigger"),
    "brand.language": _l("Changed a brand's language"),
    "agent.setup": _l("Set up the first admin"), "agent.invite": _l("Invited an agent"),
    "agent.accept": _l("Accepted an invitation"), "agent.role": _l("Changed a role"),
    "agent.deactivate": _l("Deactivated an agent"), "agent.reactivate": _l("Reactivated an agent"),
}


def _deps() -> Deps:
    return current_app.extensions["gmail_tickets.deps"]


def _page(new_link: str | None = None, status: int = 200) -> tuple[str, int]:
    now = _deps().clock.now()
    invites = [(i, i.usable(now)) for i in _deps().store.list_invites() if i.email]
    return render_template("agents.html", agents=_deps().store.list_agents(), invites=invites, new_link=new_link,
                           me=access.current(), roles=list(Role)), status


@bp.get("/agents")
def list_agents() -> tuple[str, int]:
    return _page()


@bp.post("/agents/invite")
def invite() -> Response | tuple[str, int]:
    email = request.form.get("email", "")
    try:
        role = Role(request.form.get("role", Role.AGENT))
        token = people.invite(_deps(), access.actor(), email, role)
    except (ActionRefused, ValueError) as error:
        flash(refusal(error) if isinstance(error, ActionRefused) else _("Choose a role."), "error")
        return _page(status=400)
    link = url_for("auth.accept_invite", token=token, _external=True)
    flash(_("Invited %(email)s as %(role)s. Send them the link below: it works once, for 7 days, and is not shown "
            "again.", email=email.strip().lower(), role=label(role)), "success")
    return _page(new_link=link)


def _known(email: str) -> str:
    if _deps().store.get_agent(email) is None:
        abort(404)
    return email


def _change(done: str, action: object) -> Response:
    try:
        action()  # type: ignore[operator]
    except ActionRefused as error:
        flash(refusal(error), "error")
    else:
        flash(done, "success")
    return redirect(url_for("agents.list_agents"))  # type: ignore[return-value]


@bp.post("/agents/<email>/role")
def set_role(email: str) -> Response:
    email = _known(email)
    try:
        role = Role(request.form.get("role", ""))
    except ValueError:
        abort(400)
    return _change(_("%(email)s is now an admin.", email=email) if role == Role.ADMIN else
                   _("%(email)s is now an agent.", email=email),
                   lambda: people.set_role(_deps(), access.actor(), email, role))


@bp.post("/agents/<email>/active")
def set_active(email: str) -> Response:
    email = _known(email)
    active = request.form.get("active") == "on"

    def act() -> None:
        people.set_active(_deps(), access.actor(), email, active)
        if not active:
            current_app.extensions[SESSIONS].end_agent(email)  # signed out everywhere, now

    return _change(_("%(email)s is active again.", email=email) if active else
                   _("%(email)s is deactivated and signed out.", email=email), act)


@bp.get("/audit")
def audit() -> str:
    page = _deps().store.audit_page(page_request(limit=AUDIT_LIMIT))
    return render_template("audit.html", entries=page.items, labels=ACTION_LABELS, total=_deps().store.count_audit(),
                           links=link(page, "agents.audit"))
