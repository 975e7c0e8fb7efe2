"""Each agent's own profile: the name customers see on replies ("Ana (Acme Support)"), the signature appended to
mailed replies, and the password (embedded console only: behind IAP, Google checks the person)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gmail_tickets.errors import ActionRefused
from gmail_tickets.services import people
from gmail_tickets.services.deps import Deps
from gmail_tickets.web import access
from gmail_tickets.web.labels import refusal

bp = Blueprint("profile", __name__)


def _deps() -> Deps:
    return current_app.extensions["gmail_tickets.deps"]


def _page(status: int = 200, **form: str) -> tuple[str, int]:
    me = access.current()
    has_record = me.email != access.SECRET_ADMIN
    uses_password = current_app.extensions["gmail_tickets.admin_auth"].uses_form
    return render_template("profile.html", me=me, has_record=has_record, uses_password=uses_password,
                           form=form), status


@bp.get("/profile")
def show() -> tuple[str, int]:
    return _page()


@bp.post("/profile")
def save() -> Response | tuple[str, int]:
    name, signature = request.form.get("name", ""), request.form.get("signature", "")
    try:
        people.update_profile(_deps(), access.current().email, name=name, signature=signature)
    except ActionRefused as error:
        flash(refusal(error), "error")
        return _page(400, name=name, signature=signature)
    flash(_("Profile saved."), "success")
    return redirect(url_for("profile.show"))  # type: ignore[return-value]


@bp.post("/profile/password")
def change_password() -> Response | tuple[str, int]:
    new = request.form.get("new_password", "")
    try:
        if new != request.form.get("confirm", ""):
            raise ActionRefused(_("The two new passwords differ: type the same one twice."))
        people.change_password(_deps(), access.current().email, current=request.form.get("current", ""), new=new)
    except ActionRefused as error:
        flash(refusal(error), "error")
        return _page(400)
    flash(_("Password changed."), "success")
    return redirect(url_for("profile.show"))  # type: ignore[return-value]
