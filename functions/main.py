"""Cloud Functions entry points. Each one decodes its event, calls one use case, and maps the outcome to
ack (return) or retry (raise). No business logic lives here.

- ingest: Pub/Sub CloudEvent (Gmail's push on `gmail-push`, the sweep's requests on `mailbox-sync`).
- sweep:  HTTP, called every minute by Cloud Scheduler.
- admin:  HTTP, the console behind Identity-Aware Proxy (web/iap_auth.py says why IAP, and what is verified).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import flask
import functions_framework
from cloudevents.http import CloudEvent

from gmail_tickets import bootstrap, logs
from gmail_tickets.services.ingest import ingest_event, quarantine_event
from gmail_tickets.services.sweep import sweep as sweep_mailboxes

if TYPE_CHECKING:
    from gmail_tickets.services.deps import Deps
    from gmail_tickets.web.addresses import OAuthSetup

logs.configure()


@functions_framework.cloud_event
def ingest(event: CloudEvent) -> None:
    """Ack by returning; raise (TransientError and anything unexpected) to have Pub/Sub deliver it again."""
    deps = bootstrap.deps()
    envelope: Any = event.data if isinstance(event.data, dict) else {}
    encoded = (envelope.get("message") or {}).get("data", "")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError, TypeError):
        quarantine_event(deps, json.dumps(envelope, default=str).encode(), "message data is not base64")
        return
    ingest_event(deps, data)


@functions_framework.http
def sweep(request: Any) -> tuple[str, int, dict[str, str]]:
    result = sweep_mailboxes(bootstrap.deps())
    body = {"requested": result.requested, "watches_renewed": result.watches_renewed, "errors": result.errors}
    return json.dumps(body), 200, {"Content-Type": "application/json"}


@dataclass(frozen=True)
class AdminConfig:
    """The console's cloud settings (to move into bootstrap.Config)."""

    iap_audience: str  # GT_IAP_AUDIENCE: the IAP audience of this backend
    admin_emails: tuple[str, ...]  # GT_ADMIN_EMAILS: comma-separated
    admin_domain: str | None  # GT_ADMIN_DOMAIN: admits a Google Workspace domain (IAP's `hd` claim)
    iap_certs_file: str | None  # GT_IAP_CERTS_FILE: tests only, {key id: PEM} instead of IAP's published keys
    oauth_auth_uri: str | None  # GT_OAUTH_AUTH_URI: Google's consent page unless set (the simulator's)
    oauth_revoke_uri: str | None  # GT_OAUTH_REVOKE_URI: Google's unless set
    relay_spf_include: str | None  # GT_RELAY_SPF_INCLUDE: the mail relay's SPF include, for the DNS guidance

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AdminConfig:
        env = os.environ if env is None else env
        return cls(
            iap_audience=env.get("GT_IAP_AUDIENCE", ""),
            admin_emails=tuple(e.strip() for e in env.get("GT_ADMIN_EMAILS", "").split(",") if e.strip()),
            admin_domain=env.get("GT_ADMIN_DOMAIN") or None,
            iap_certs_file=env.get("GT_IAP_CERTS_FILE") or None,
            oauth_auth_uri=env.get("GT_OAUTH_AUTH_URI") or None,
            oauth_revoke_uri=env.get("GT_OAUTH_REVOKE_URI") or None,
            relay_spf_include=env.get("GT_RELAY_SPF_INCLUDE") or None,
        )


def _console_oauth(deps: Deps, config: bootstrap.Config, admin_config: AdminConfig) -> OAuthSetup | None:
    """The deployer's OAuth client for connecting Gmail; None (connect pages answer 503) until both halves exist."""
    from gmail_tickets import secret_names
    from gmail_tickets.web.addresses import OAuthSetup

    client_secret = deps.secrets.get(secret_names.OAUTH_CLIENT_SECRET)
    if not config.oauth_client_id or not client_secret:
        return None
    return OAuthSetup.google(client_id=config.oauth_client_id, client_secret=client_secret,
                             token_uri=config.token_uri, revoke_uri=admin_config.oauth_revoke_uri,
                             auth_uri=admin_config.oauth_auth_uri, gmail_root_url=config.gmail_root_url)


def _build_console() -> flask.Flask:
    from gmail_tickets.web import auth
    from gmail_tickets.web.app import create_app
    from gmail_tickets.web.iap_auth import IapAuth, load_keys

    admin_config = AdminConfig.from_env()
    deps = bootstrap.deps()
    certs = load_keys(admin_config.iap_certs_file) if admin_config.iap_certs_file else None
    iap = IapAuth(admin_config.iap_audience, allowed_emails=admin_config.admin_emails,
                  allowed_domain=admin_config.admin_domain, certs=certs)
    session_key, _ = auth.ensure_secret(deps.secrets, auth.SESSION_KEY)
    return create_app(deps, admin_auth=iap, secret_key=session_key, cookie_secure=True,
                      oauth=_console_oauth(deps, bootstrap.Config.from_env(), admin_config),
                      relay_spf_include=admin_config.relay_spf_include)


_console: flask.Flask | None = None
_console_lock = threading.Lock()


def _console_app() -> flask.Flask:
    """Built on the first admin request, once per instance: ingest and sweep instances never pay for it."""
    global _console
    with _console_lock:
        if _console is None:
            _console = _build_console()
        return _console


@functions_framework.http
def admin(request: flask.Request) -> flask.Response:
    """The whole console, dispatched in its own Flask app. Served only over HTTPS (Google's front end ends TLS),
    so the scheme is https for the OAuth redirect URI the console builds, whatever the hop to us was."""
    app = _console_app()
    environ = {**request.environ, "wsgi.url_scheme": "https"}
    with app.request_context(environ):
        return app.full_dispatch_request()
