"""Cloud Functions entry points. Each one decodes its event, calls one use case, and maps the outcome to
ack (return) or retry (raise). No business logic lives here.

- ingest: Pub/Sub CloudEvent (Gmail's push on `gmail-push`, the sweep's requests on `mailbox-sync`).
- sweep:  HTTP, called every minute by Cloud Scheduler.
- send:   Pub/Sub CloudEvent on `outbound-mail`: deliver one notification via Gmail or the relay.
- admin:  HTTP, the console behind Identity-Aware Proxy (web/iap_auth.py says why IAP, and what is verified).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from typing import Any

import flask
import functions_framework
from cloudevents.http import CloudEvent

from gmail_tickets import bootstrap, logs
from gmail_tickets.services.ingest import ingest_event, quarantine_event
from gmail_tickets.services.send_notification import send_event
from gmail_tickets.services.sweep import sweep as sweep_mailboxes

logs.configure()


def _message_data(event: CloudEvent) -> bytes | None:
    """The Pub/Sub message's data; None (after quarantining the envelope) when it is not base64."""
    envelope: Any = event.data if isinstance(event.data, dict) else {}
    encoded = (envelope.get("message") or {}).get("data", "")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError, TypeError):
        quarantine_event(bootstrap.deps(), json.dumps(envelope, default=str).encode(), "message data is not base64")
        return None


@functions_framework.cloud_event
def ingest(event: CloudEvent) -> None:
    """Ack by returning; raise (TransientError and anything unexpected) to have Pub/Sub deliver it again."""
    data = _message_data(event)
    if data is not None:
        ingest_event(bootstrap.deps(), data)


@functions_framework.cloud_event
def send(event: CloudEvent) -> None:
    """Ack by returning (sent, failed visibly, or a duplicate); raise to have Pub/Sub deliver it again."""
    data = _message_data(event)
    if data is not None:
        send_event(bootstrap.deps(), data)


@functions_framework.http
def sweep(request: Any) -> tuple[str, int, dict[str, str]]:
    result = sweep_mailboxes(bootstrap.deps(), renew_watches=bootstrap.config().gmail_push)
    body = {"requested": result.requested, "watches_renewed": result.watches_renewed, "errors": result.errors,
            "notifications_republished": result.notifications_republished}
    return json.dumps(body), 200, {"Content-Type": "application/json"}


def _build_console() -> flask.Flask:
    from gmail_tickets.web import auth
    from gmail_tickets.web.app import create_app
    from gmail_tickets.web.iap_auth import IapAuth, load_keys

    config = bootstrap.config()
    deps = bootstrap.deps()
    certs = load_keys(config.iap_certs_file) if config.iap_certs_file else None
    iap = IapAuth(config.iap_audience, allowed_emails=config.admin_emails, allowed_domain=config.admin_domain,
                  certs=certs)
    session_key, _ = auth.ensure_secret(deps.secrets, auth.SESSION_KEY)
    return create_app(deps, admin_auth=iap, secret_key=session_key, cookie_secure=True,
                      oauth=bootstrap.console_oauth(config, deps.secrets),
                      relay_spf_include=config.relay_spf_include, gmail_push=config.gmail_push,
                      background_import=False)


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
