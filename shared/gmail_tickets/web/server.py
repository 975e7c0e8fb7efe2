"""Serve the console on a local port in a background thread: for the demo, `serve` and the browser tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import make_server

from gmail_tickets.services.deps import Deps
from gmail_tickets.web import auth
from gmail_tickets.web.app import create_app


def serve_console(deps: Deps, host: str = "127.0.0.1", port: int = 0, **options: Any) -> tuple[str, Callable[[], None]]:
    """Start the console (threaded werkzeug) and return (url, stop). The admin secret is made on first start;
    get it (and whether it is new, to print it once) with `auth.ensure_admin_secret(deps.secrets)`."""
    secret, _ = auth.ensure_admin_secret(deps.secrets)
    session_key, _ = auth.ensure_secret(deps.secrets, auth.SESSION_KEY)
    app = create_app(deps, admin_auth=auth.SecretAuth(secret), secret_key=session_key, **options)
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="console", daemon=True)
    thread.start()
    url = f"http://{host}:{server.server_port}"

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return url, stop
