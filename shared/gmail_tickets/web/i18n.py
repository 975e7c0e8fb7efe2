"""The console's language: English or German (Flask-Babel over the catalogs in gmail_tickets/translations).

Chosen per request: the signed-in agent's saved choice (Agent.locale), else the cookie a signed-out visitor set on
the sign-in page (or the shared-secret admin, who has no record), else the browser's Accept-Language, else English.
A missing compiled catalog is an error at start-up, never a console that quietly falls back to English."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, g, redirect, request
from flask_babel import Babel, get_locale
from flask_babel import format_number as babel_format_number
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from gmail_tickets import catalogs
from gmail_tickets.errors import ActionRefused
from gmail_tickets.services import people
from gmail_tickets.web import access, labels
from gmail_tickets.web.auth import safe_next

LOCALES = people.LOCALES
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}  # each in its own language: what a lost reader looks for
COOKIE = "gt_lang"
COOKIE_SECONDS = 365 * 24 * 3600

bp = Blueprint("language", __name__)


def select_locale() -> str:
    agent = g.get("agent")
    if agent is not None and agent.locale in LOCALES:
        return str(agent.locale)
    chosen = request.cookies.get(COOKIE, "")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(list(LOCALES)) or "en"


def current_locale() -> str:
    return str(get_locale() or "en")


def install(app: Flask) -> None:
    absent = catalogs.missing(LOCALES)
    if absent:
        raise RuntimeError(f"no compiled catalog for {', '.join(absent)} under {catalogs.TRANSLATIONS}: "
                           "run `python -m gmail_tickets.catalogs` (./dev does it on set-up)")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(catalogs.TRANSLATIONS)
    Babel(app, locale_selector=select_locale)
    app.jinja_env.policies["ext.i18n.trimmed"] = True  # {% trans %} text as one line, as babel.cfg extracts it
    app.register_blueprint(bp)
    app.add_template_filter(number, "number")
    app.add_template_filter(labels.label, "label")
    app.add_template_filter(labels.view_label, "view_label")
    app.jinja_env.globals.update(current_locale=current_locale, language_names=LANGUAGE_NAMES)


def number(value: int | float) -> str:
    """A count as the reader writes it (1,234 / 1.234)."""
    return str(babel_format_number(value))


def _back() -> Response:
    return redirect(safe_next(request.form.get("next")), 303)  # type: ignore[return-value]


def _remember(response: Response, locale: str) -> Response:
    response.set_cookie(COOKIE, locale, max_age=COOKIE_SECONDS, httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


@bp.post("/language")
def choose() -> Response:
    """A signed-in agent's choice, kept on their record (so it follows them to any browser)."""
    locale = request.form.get("locale", "")
    me = access.current()
    try:
        if locale not in LOCALES:
            raise ActionRefused(_("There is no such language."))
        if me.email != access.SECRET_ADMIN:  # the shared-secret admin has no record: the cookie alone
            people.set_locale(current_app.extensions["gmail_tickets.deps"], me.email, locale)
    except ActionRefused as error:
        flash(str(error), "error")
        return _back()
    return _remember(_back(), locale)


@bp.post("/sign-in/language")
def choose_signed_out() -> Response:
    """A visitor's choice before signing in: a cookie only."""
    locale = request.form.get("locale", "")
    if locale not in LOCALES:
        return _back()
    return _remember(_back(), locale)
