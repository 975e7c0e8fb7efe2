"""What the support-address pages share: their blueprint and the few lookups every one of them makes."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _

from gmail_tickets.services.deps import Deps
from gmail_tickets.services.oauth_setup import OAuthSetup
from gmail_tickets.web.console_deps import ConsoleDeps

bp = Blueprint("addresses", __name__)


def deps() -> Deps:
    return current_app.extensions["gmail_tickets.deps"]


def console() -> ConsoleDeps:
    return current_app.extensions["gmail_tickets.console"]


def oauth() -> OAuthSetup:
    setup = console().oauth
    if setup is None:
        abort(503, _("No OAuth client is configured for connecting Gmail."))
    return setup


def back(message: str, category: str = "info") -> Response:
    flash(message, category)
    return redirect(url_for("addresses.list_addresses"))  # type: ignore[return-value]


def known(address: str) -> str:
    """A support address or connection we have; anything else is a 404, not a use case error."""
    address = address.strip().lower()
    found = {a.address for a in deps().store.list_support_addresses()} | {
        c.address for c in deps().store.list_connections()}
    if address not in found:
        abort(404)
    return address


def brands() -> list[tuple[str, str]]:
    """(id, name) of every brand, the default first."""
    others = [(b.id, b.name) for b in deps().store.list_brands() if b.id != "default"]
    return [("default", "Default brand"), *others]


def brand_from_form(value: str | None, fallback: str = "default") -> str:
    return value if value in {i for i, _ in brands()} else fallback
