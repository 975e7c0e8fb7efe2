"""Cloud Functions entry points. Each one decodes its event, calls one use case, and maps the outcome to
ack (return) or retry (raise). No business logic lives here.

- ingest: Pub/Sub CloudEvent (Gmail's push on `gmail-push`, the sweep's requests on `mailbox-sync`).
- sweep:  HTTP, called every minute by Cloud Scheduler.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import functions_framework
from cloudevents.http import CloudEvent

from gmail_tickets import bootstrap, logs
from gmail_tickets.services.ingest import ingest_event, quarantine_event
from gmail_tickets.services.sweep import sweep as sweep_mailboxes

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
