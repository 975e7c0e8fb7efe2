"""`gmail-tickets connect`: Google's installed-app OAuth flow with a loopback redirect, for one machine.

There is no console to come back to, so the redirect_uri is a one-shot HTTP server on 127.0.0.1 (Google allows
plain http only there, and any port). The flow itself is `oauth_connect`'s, unchanged: a per-run random session
id plays the admin session, so the signed `state` still binds Google's answer to this very run.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import threading
import time
import webbrowser
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TextIO
from urllib.parse import parse_qs, urlsplit

from gmail_tickets import bootstrap, secret_names
from gmail_tickets.domain.model import ConnectionStatus
from gmail_tickets.errors import ConnectRefused
from gmail_tickets.services import oauth_connect
from gmail_tickets.services.connect_import import wait_for_import
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.oauth_setup import OAuthSetup

CLOSE_PAGE = (
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>gmail-tickets</title></head>"
    "<body><h1>{title}</h1><p>You can close this tab and return to the terminal.</p></body></html>"
)


class ConnectFailed(Exception):
    """The connect command cannot go on; the message is for the person at the terminal."""


@dataclass
class Answer:
    """What Google's redirect brought back to the loopback server."""

    params: dict[str, str] = field(default_factory=dict)
    received: threading.Event = field(default_factory=threading.Event)


class LoopbackReceiver:
    """A one-shot HTTP server on 127.0.0.1 that takes the first redirect carrying `code`, `error` or `state`;
    anything else the browser asks for (favicon…) gets a 404 and is not mistaken for the answer."""

    def __init__(self, port: int = 0) -> None:
        self.answer = Answer()
        answer = self.answer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                if answer.received.is_set() or not ({"code", "error", "state"} & query.keys()):
                    self.send_error(404)
                    return
                answer.params = query
                title = "Connecting was cancelled." if query.get("error") else "Sign-in received."
                body = CLOSE_PAGE.format(title=title).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                answer.received.set()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the terminal shows our messages only."""

        try:
            self._server = HTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise ConnectFailed(f"Cannot listen on 127.0.0.1:{port} for Google's redirect ({exc.strerror}); "
                                "choose another --port, or 0 for any free one.") from None
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="oauth-loopback", daemon=True)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/"

    def __enter__(self) -> LoopbackReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def wait(self, timeout: float) -> dict[str, str]:
        if not self.answer.received.wait(timeout):
            raise ConnectFailed(f"No answer from Google's page within {timeout:g} seconds. Nothing was connected; "
                                "run the command again.")
        return self.answer.params


def _has_display(env: Mapping[str, str]) -> bool:
    return sys.platform in ("darwin", "win32") or bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def _oauth(config: bootstrap.Config, deps: Deps, env: Mapping[str, str]) -> OAuthSetup:
    """The OAuth client, as the console builds it; GT_OAUTH_CLIENT_SECRET is stored in Secrets (once) so `serve`
    finds it later."""
    bootstrap.adopt_client_secret(deps.secrets, env)
    oauth = bootstrap.oauth_setup(config, deps.secrets)
    if oauth is None:
        raise ConnectFailed("No OAuth client secret: set GT_OAUTH_CLIENT_SECRET once (it is then kept in the "
                            f"secrets file as {secret_names.OAUTH_CLIENT_SECRET!r}).")
    return oauth


def _refusal(params: Mapping[str, str]) -> str:
    error = params.get("error", "")
    if error == "access_denied":
        return "Access was refused on Google's page (Cancel or Deny). Nothing was connected."
    return f"Google answered with an error ({error}). Nothing was connected."


def _wait_for_import(deps: Deps, address: str, err: TextIO) -> tuple[int, int]:
    """Poll the connection's import counters until the background import ends, printing each change."""
    shown: tuple[int, int] | None = None
    while True:
        finished = wait_for_import(deps, address, timeout=0.2)
        connection = deps.store.get_connection(address)
        counts = (connection.import_done, connection.import_total) if connection else (0, 0)
        if counts != shown and counts[1]:
            print(f"imported {counts[0]}/{counts[1]}", file=err, flush=True)
            shown = counts
        if finished:
            return counts


def run_connect(
    address: str,
    *,
    brand: str | None = None,
    import_recent: bool = True,
    port: int = 0,
    timeout: float = 300.0,
    open_browser: bool = True,
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Connect `address` through the browser; 0 and a JSON line on stdout when connected, else 1."""
    env = dict(os.environ if env is None else env)
    out = out or sys.stdout
    err = err or sys.stderr
    config = bootstrap.local_config(env)
    address = address.strip().lower()
    try:
        if not config.oauth_client_id:
            raise ConnectFailed("No OAuth client: set GT_OAUTH_CLIENT_ID (a Desktop-app client of your Google "
                                "Cloud project).")
        deps = bootstrap.local_deps(config)
        oauth = _oauth(config, deps, env)
        session_id = secrets.token_urlsafe(24)
        with LoopbackReceiver(port) as receiver:
            url = oauth_connect.start_connect(
                deps, session_id=session_id, address=address, brand_id=brand, import_recent=import_recent,
                redirect_uri=receiver.redirect_uri, auth_uri=oauth.auth_uri, client_id=oauth.client_id)
            print(f"Open this address in a browser and choose {address}:\n{url}", file=err, flush=True)
            if open_browser and _has_display(env):
                webbrowser.open(url)
            params = receiver.wait(timeout)
        if params.get("error") or not params.get("code"):
            raise ConnectFailed(_refusal(params))
        # local_config: Gmail push off, as one machine has no Pub/Sub topic for Gmail to push to; the sweep delivers.
        connection = oauth_connect.finish_connect(deps, session_id=session_id, state=params.get("state", ""),
                                                  code=params["code"], oauth=oauth.client, watch=config.gmail_push)
    except (ConnectFailed, ConnectRefused) as exc:
        print(f"gmail-tickets connect: {exc}", file=err, flush=True)
        return 1
    started = time.monotonic()
    done, total = _wait_for_import(deps, address, err)
    final = deps.store.get_connection(address) or connection
    print(json.dumps({"address": final.address, "status": final.status.value, "brand": final.brand_id,
                      "imported": done, "import_total": total,
                      "import_seconds": round(time.monotonic() - started, 2)}), file=out, flush=True)
    if final.status != ConnectionStatus.CONNECTED:
        print(f"gmail-tickets connect: {final.address} is {final.status.value}: {final.last_error}", file=err)
        return 1
    return 0
