"""The web half of the wiring: the console and the REST API, built on what bootstrap.py wires, for the admin and
api functions and for `serve`/`demo` on one machine. Kept apart so the ingest, send and sweep functions never
import Flask's side of the product."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gmail_tickets import bootstrap
from gmail_tickets.config import Config
from gmail_tickets.ports import Store
from gmail_tickets.services.deps import Deps

if TYPE_CHECKING:
    import flask

    from gmail_tickets.ports.presence import Presence
    from gmail_tickets.web.auth import AdminAuth


@dataclass(frozen=True)
class ServedConsole:
    url: str
    stop: Callable[[], None]
    admin_secret: str
    secret_created: bool  # made at this start: print it once, then never
    setup_url: str | None = None  # the one-time link that makes the first admin; None once one exists

    def banner(self, secret_hint: str) -> list[str]:
        """What `demo` and `serve` print: how to sign in. The admin secret (only when made now; `secret_hint`
        says where it is kept otherwise) and the setup link until the first admin account exists, then neither."""
        if self.setup_url is None:
            return [f"console: {self.url}  — sign in with your agent account"]
        shown = self.admin_secret if self.secret_created else secret_hint
        return [f"console: {self.url}  — sign in with the admin secret: {shown}",
                f"setup: {self.setup_url}  — open once to create the first admin account (the secret stops then)"]


def serve_console(config: Config, deps: Deps, *, host: str = "127.0.0.1", port: int = 0) -> ServedConsole:
    """The console on this machine, on a thread, with the REST API under /api/v1 (web/api/): agents sign in with
    their passwords; until the first admin account exists, the admin secret (made on the first start) works and a
    fresh setup link is made."""
    from gmail_tickets.services import people
    from gmail_tickets.web import auth
    from gmail_tickets.web.api import create_api_app, with_api
    from gmail_tickets.web.server import serve_app

    secret, created = auth.ensure_admin_secret(deps.secrets)
    console = _console(config, deps, auth.SecretAuth(secret))
    url, stop = serve_app(with_api(console, create_api_app(deps)), host, port)
    token = people.setup_token(deps)
    return ServedConsole(url, stop, secret, created, f"{url}/setup/{token}" if token else None)


_cloud_console: flask.Flask | None = None
_cloud_console_lock = threading.Lock()


def cloud_console() -> flask.Flask:
    """The admin function's console behind Identity-Aware Proxy, built on the first admin request, once per
    instance: ingest and sweep instances never pay for it. Its jobs run inline, as all of `deps()`'s do."""
    global _cloud_console
    with _cloud_console_lock:
        if _cloud_console is None:
            from gmail_tickets.web.iap_auth import IapAuth, load_keys

            cfg = bootstrap.config()
            certs = load_keys(cfg.iap_certs_file) if cfg.iap_certs_file else None
            iap = IapAuth(cfg.iap_audience, allowed_emails=cfg.admin_emails, allowed_domain=cfg.admin_domain,
                          certs=certs)
            _cloud_console = _console(cfg, bootstrap.deps(), iap, cookie_secure=True,
                                     presence=_cloud_presence(bootstrap.deps().store))
        return _cloud_console


_cloud_api: flask.Flask | None = None


def cloud_api() -> flask.Flask:
    """The api function's REST API (web/api/): token auth only, no IAP; built once per instance."""
    global _cloud_api
    with _cloud_console_lock:
        if _cloud_api is None:
            from gmail_tickets.web.api import create_api_app

            _cloud_api = create_api_app(bootstrap.deps())
        return _cloud_api


def _cloud_presence(store: Store) -> Presence | None:
    """Who is typing, shared by every instance: a document per ticket beside the store's (None: in memory)."""
    from gmail_tickets.adapters.firestore_presence import FirestorePresence
    from gmail_tickets.adapters.firestore_store import FirestoreStore

    return FirestorePresence(store.client, store.prefix) if isinstance(store, FirestoreStore) else None


def _console(config: Config, deps: Deps, admin_auth: AdminAuth, *, cookie_secure: bool = False,
             presence: Presence | None = None) -> flask.Flask:
    from gmail_tickets.adapters.dns_txt import DnsTxtLookup
    from gmail_tickets.web import auth
    from gmail_tickets.web.app import create_app
    from gmail_tickets.web.console_deps import ConsoleDeps

    session_key, _ = auth.ensure_secret(deps.secrets, auth.SESSION_KEY)
    return create_app(ConsoleDeps(deps, admin_auth, session_key, oauth=bootstrap.oauth_setup(config, deps.secrets),
                                  relay_spf_include=config.relay_spf_include, gmail_push=config.gmail_push,
                                  dns_lookup=DnsTxtLookup(config.dns_nameserver),
                                  cookie_secure=cookie_secure, session_idle_seconds=config.console_idle_seconds,
                                  session_max_seconds=config.console_session_max_seconds, presence=presence))
