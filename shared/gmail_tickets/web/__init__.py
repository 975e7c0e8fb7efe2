"""The admin and agent console: Flask + Jinja, server-rendered, no JavaScript."""

from gmail_tickets.web.addresses import OAuthSetup
from gmail_tickets.web.app import create_app
from gmail_tickets.web.auth import ensure_admin_secret
from gmail_tickets.web.server import serve_console

__all__ = ["OAuthSetup", "create_app", "ensure_admin_secret", "serve_console"]
