"""The console's Flask app: ticket pages for every signed-in agent, admin pages for the rest (web/access.py).

Server-rendered: pages work without JavaScript. A few small scripts of ours (static/live.js: live updates, local
times, the phone menu; static/import_progress.js: the import's progress bar) enhance them; the
Content-Security-Policy allows script only as same-origin files, never inline, so markup that slipped past the
sanitizer still could not run.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, g, render_template, request
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map

from gmail_tickets.services.oauth_setup import OAuthSetup
from gmail_tickets.web import (
    addresses,
    agents,
    api_tokens,
    auth,
    banner,
    brands,
    i18n,
    live,
    outbox,
    profile,
    search,
    sign_in,
    ticket_lists,
    tickets,
    webhooks,
)
from gmail_tickets.web.console_deps import ConsoleDeps
from gmail_tickets.web.sessions import SessionRegistry
from gmail_tickets.web.time_html import when

# Forms allowed more than the console's 64 KiB: the reply box carries files, a brand's template may be 10,000
# characters of any script.
BODY_LIMITS = {"tickets.reply": tickets.REPLY_REQUEST_LIMIT, "brands.save_acknowledgement": brands.MAX_FORM_BYTES}


STORE_INT_MAX = 2**63 - 1  # both stores keep integers as signed 64-bit (SQLite INTEGER, Firestore int64)


class StoreIntConverter(IntegerConverter):
    """`<int:...>` in every console route: a number no store can hold does not match, so it is a 404 like any
    missing ticket instead of the store's overflow error (a 500)."""

    def __init__(self, url_map: Map, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", STORE_INT_MAX)
        super().__init__(url_map, *args, **kwargs)  # type: ignore[arg-type]


def content_security_policy(oauth: OAuthSetup | None, *, remote_images: bool = False) -> str:
    """Script only from our own files (static/), never inline or from elsewhere; fetches only to us (the polls of
    live.js and import_progress.js). Images only from us (inline `cid:` images are served by the attachment route),
    unless the agent asked a ticket page to show remote images: then https images too, for that response only. Forms
    may post only to us, and be redirected on to Google's consent page (whose origin comes from the OAuth setup: the
    simulator's is plain http on this machine)."""
    form_action = "'self'"
    if oauth is not None:
        parts = urlsplit(oauth.auth_uri)
        form_action += f" {parts.scheme}://{parts.netloc}"
    images = "'self' https:" if remote_images else "'self'"
    return (
        f"default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src {images}; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )


def create_app(console: ConsoleDeps) -> Flask:
    """The console for `console.deps`, signed in through `console.admin_auth` (bootstrap builds both for where
    it runs: `bootstrap_web.cloud_console`, `bootstrap_web.serve_console`)."""
    app = Flask(__name__)
    app.url_map.converters["int"] = StoreIntConverter  # before any route is added
    app.config.update(
        SECRET_KEY=console.secret_key,
        SESSION_COOKIE_NAME="gt_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=console.cookie_secure,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        MAX_CONTENT_LENGTH=64 * 1024,  # the console's forms are small
    )
    app.extensions["gmail_tickets.deps"] = console.deps
    csp = content_security_policy(console.oauth)
    csp_remote_images = content_security_policy(console.oauth, remote_images=True)

    @app.before_request
    def body_limit() -> None:
        """Before CSRF, which is the first to read the form: the limit must be set before anything parses it."""
        limit = BODY_LIMITS.get(request.endpoint or "")
        if limit is not None:
            request.max_content_length = limit

    sessions = SessionRegistry(idle_seconds=console.session_idle_seconds, max_seconds=console.session_max_seconds,
                               now=lambda: console.deps.clock.now().timestamp())
    auth.install(app, console.admin_auth, sessions)  # before CSRF: anonymous posts get 401, not a CSRF error
    CSRFProtect(app)
    sign_in.install(app, console.admin_auth)
    i18n.install(app)
    app.register_blueprint(agents.bp)
    app.register_blueprint(profile.bp)
    app.register_blueprint(api_tokens.bp)
    ticket_lists.install(app)  # the tickets blueprint, with the lists' routes on it
    app.register_blueprint(search.bp)
    outbox.install(app)
    app.register_blueprint(brands.bp)
    app.register_blueprint(webhooks.bp)
    addresses.install(app, console)
    banner.install(app)
    live.install(app, console.presence)

    app.add_template_filter(when, "when")
    app.add_template_filter(_size, "size")

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy",
                                    csp_remote_images if g.get(tickets.REMOTE_IMAGES) else csp)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return render_template("error.html", title=_("Form expired"),
                               message=_("The form was missing its security token or it expired. "
                                         "Go back, reload the page and try again.")), 400

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
        files = (" " + _("Files on a reply may come to %(mb)s MB in all.", mb=tickets.MAX_REPLY_BYTES // (1024 * 1024))
                 if request.endpoint == "tickets.reply" else "")
        message = _("What was sent is too large, so it was not saved.") + files
        message += " " + _("Go back and try again with less.")
        return render_template("error.html", title=_("Too large"), message=message), 413

    @app.errorhandler(400)
    def bad_request(error: HTTPException) -> tuple[str, int]:
        return _error_page(error, _("Bad request"), _("The request was not understood. Go back and try again.")), 400

    @app.errorhandler(503)
    def unavailable(error: HTTPException) -> tuple[str, int]:
        return _error_page(error, _("Not available"), _("This is not available just now.")), 503

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return render_template("error.html", title=_("Not found"), message=_("There is nothing here.")), 404

    return app


def _error_page(error: HTTPException, title: str, fallback: str) -> str:
    """The console's own error page: our words when the code gave some (already in the reader's language), else
    `fallback` (Werkzeug's default text is English only)."""
    ours = error.description if error.description != type(error).description else None
    return render_template("error.html", title=title, message=ours or fallback)


def _size(value: int | None) -> str:
    """A file's size as the reader writes numbers (1.5 MB / 1,5 MB)."""
    if value is None:
        return "—"
    size = float(value)
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            if unit == "bytes":
                return ngettext("%(num)d byte", "%(num)d bytes", int(size))
            return f"{format_decimal(size, '0.0')} {unit}"
        size /= 1024
    return f"{format_decimal(size, '0.0')} GB"  # pragma: no cover
