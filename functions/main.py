"""Cloud Functions entry points. Each one decodes its event, calls one use case, and maps the outcome to
ack (return) or retry (raise). No business logic lives here.

- ingest: Pub/Sub CloudEvent (Gmail's push on `gmail-push`, the shard checks' sync requests on `mailbox-sync`).
- sweep:  HTTP, called every minute by Cloud Scheduler: publishes the mailboxes in shards on `mailbox-sweep`.
- sweep_shard: Pub/Sub CloudEvent on `mailbox-sweep`: check one shard's mailboxes, renew due watches.
- send:   Pub/Sub CloudEvent on `outbound-mail`: deliver one notification via Gmail or the relay.
- admin:  HTTP, the console behind Identity-Aware Proxy (web/iap_auth.py says why IAP, and what is verified).
- api:    HTTP, the REST API under /api/v1 (web/api/), outside IAP: every request carries an API token.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

import flask
import functions_framework
from cloudevents.exceptions import DataUnmarshallerError
from cloudevents.http import CloudEvent

from gmail_tickets import bootstrap, bootstrap_web, logs
from gmail_tickets.services.ingest import ingest_event, quarantine_event
from gmail_tickets.services.outbound_event import outbound_event
from gmail_tickets.services.sweep import sweep as sweep_mailboxes
from gmail_tickets.services.sweep_shard import shard_event


def _log_level() -> str:
    """GT_LOG_LEVEL; INFO while the configuration is bad, so the instance starts and its first event reports the
    bad setting (in a log line and an error answer) instead of every cold start failing without a word."""
    try:
        return bootstrap.config().log_level
    except ValueError:
        return "INFO"


logs.configure(_log_level())
logging.getLogger("gmail_tickets.functions").info("instance started")  # a restart shows in the logs


def _message_data(event: CloudEvent) -> bytes | None:
    """The Pub/Sub message's data; None (after quarantining the request's own bytes) when the envelope is not a
    Pub/Sub message with base64 data. Never raises for what a sender put in it: that would answer 500, and the
    same message would come back until it is dead-lettered."""
    envelope: Any = event.data
    message = envelope.get("message") if isinstance(envelope, dict) else None
    encoded = message.get("data", "") if isinstance(message, dict) else None
    if isinstance(encoded, str):
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            pass
    reason = "message data is not base64" if isinstance(message, dict) else "not a Pub/Sub message"
    quarantine_event(bootstrap.deps(), flask.request.get_data(), reason)
    return None


@functions_framework.errorhandler(DataUnmarshallerError)
def _unreadable_event(error: DataUnmarshallerError) -> tuple[str, int]:
    """functions-framework reads a CloudEvent's JSON before our function runs; JSON it cannot read (nested too
    deeply for Python's parser, say) fails there. Such a request is quarantined with its bytes and acknowledged:
    a 500 would bring it back until it is dead-lettered."""
    quarantine_event(bootstrap.deps(), flask.request.get_data(), "the event's JSON could not be read")
    return "OK", 200


@functions_framework.cloud_event
def ingest(event: CloudEvent) -> None:
    """Ack by returning; raise (TransientError and anything unexpected) to have Pub/Sub deliver it again."""
    data = _message_data(event)
    if data is not None:
        ingest_event(bootstrap.deps(), data, event_id=event["id"])  # Pub/Sub's message id: one per message


@functions_framework.cloud_event
def send(event: CloudEvent) -> None:
    """A notification or a webhook delivery. Ack by returning (sent, failed visibly, or a duplicate); raise to
    have Pub/Sub deliver it again."""
    data = _message_data(event)
    if data is not None:
        outbound_event(bootstrap.deps(), data)


@functions_framework.http
def sweep(request: Any) -> tuple[str, int, dict[str, str]]:
    result = sweep_mailboxes(bootstrap.deps())
    body = {"requested": len(result.requested), "shards": result.shards, "finished": result.finished,
            "errors": result.errors, "notifications_republished": result.notifications_republished,
            "tickets_closed": result.tickets_closed,
            "webhooks_republished": result.webhooks_republished}
    return json.dumps(body), 200, {"Content-Type": "application/json"}


@functions_framework.cloud_event
def sweep_shard(event: CloudEvent) -> None:
    """Ack by returning (an unreadable shard is quarantined); raise to have the shard checked again."""
    data = _message_data(event)
    if data is not None:
        shard_event(bootstrap.deps(), data, renew_watches=bootstrap.config().gmail_push)


@functions_framework.http
def admin(request: flask.Request) -> flask.Response:
    """The whole console, dispatched in its own Flask app. Served only over HTTPS (Google's front end ends TLS),
    so the scheme is https for the OAuth redirect URI the console builds, whatever the hop to us was. The app
    is built on the first admin request, once per instance: ingest and sweep instances never pay for it."""
    app = bootstrap_web.cloud_console()
    environ = {**request.environ, "wsgi.url_scheme": "https"}
    with app.request_context(environ):
        return app.full_dispatch_request()


@functions_framework.http
def api(request: flask.Request) -> flask.Response:
    """The REST API in its own Flask app, built on the first API request, once per instance."""
    app = bootstrap_web.cloud_api()
    environ = {**request.environ, "wsgi.url_scheme": "https"}
    with app.request_context(environ):
        return app.full_dispatch_request()
