"""The admin and agent console: Flask + Jinja, server-rendered, no JavaScript. Bootstrap assembles it."""

from gmail_tickets.web.app import create_app
from gmail_tickets.web.auth import ensure_admin_secret
from gmail_tickets.web.console_deps import ConsoleDeps
from gmail_tickets.web.server import serve_app

__all__ = ["ConsoleDeps", "create_app", "ensure_admin_secret", "serve_app"]
