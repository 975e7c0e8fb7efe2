"""The agent's API tokens (web/api/), under their profile: make one (its secret is shown on that one page and
never again: only its hash is kept), see theirs, revoke one. Admins see and may revoke everyone's."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gmail_tickets.errors import ActionRefused
from gmail_tickets.services import api_tokens
from gmail_tickets.services.deps import Deps
from gmail_tickets.web import access
from gmail_tickets.web.labels import refusal

bp = Blueprint("api_tokens", __name__)


def _deps() -> Deps:
    return current_app.extensions["gmail_tickets.deps"]


def _page(status: int = 200, secret: str = "") -> tuple[str, int]:
    me = access.current()
    tokens = _deps().store.list_api_tokens(None if me.is_admin else me.email)
    return render_template("api_tokens.html", me=me, tokens=tokens, secret=secret,
                           has_record=me.email != access.SECRET_ADMIN,
                           api_url=request.host_url.rstrip("/") + "/api/v1"), status


@bp.get("/profile/tokens")
def show() -> tuple[str, int]:
    return _page()


@bp.post("/profile/tokens")
def create() -> tuple[str, int]:
    me = access.current()
    if me.email == access.SECRET_ADMIN:
        flash(_("The shared admin secret cannot have API tokens: make an admin account first."), "error")
        return _page(400)
    try:
        secret, _token = api_tokens.create(_deps(), me, request.form.get("name", ""))
    except ActionRefused as error:
        flash(refusal(error), "error")
        return _page(400)
    return _page(201, secret=secret)  # the only time the secret is shown


@bp.post("/profile/tokens/<token_id>/revoke")
def revoke(token_id: str) -> Response | tuple[str, int]:
    try:
        api_tokens.revoke(_deps(), access.current(), token_id)
    except ActionRefused as error:
        flash(refusal(error), "error")
        return _page(404)
    flash(_("Token revoked."), "success")
    return redirect(url_for("api_tokens.show"))  # type: ignore[return-value]
