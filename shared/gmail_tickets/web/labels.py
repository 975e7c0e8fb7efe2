"""Stored values the console shows in the reader's language: a ticket's status and priority, an agent's role, a
notification's state. The stores keep the English values; only the words on the page change (`| label`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    # ticket statuses, as Zendesk's German console names them
    "new": _l("new"),
    "open": _l("open"),
    "pending": _l("pending"),
    "on-hold": _l("on-hold"),
    "solved": _l("solved"),
    "closed": _l("closed"),
    # priorities
    "low": _l("low"),
    "normal": _l("normal"),
    "high": _l("high"),
    "urgent": _l("urgent"),
    # roles
    "admin": _l("admin"),
    "agent": _l("agent"),
    # who wrote last (Comment.author_kind)
    "customer": _l("customer"),
    # what Google vouched for about a sender (domain/sender_auth.py)
    "verified sender": _l("verified sender"),
    "possible spoof (DMARC failed)": _l("possible spoof (DMARC failed)"),
    "not verified": _l("not verified"),
    # a support address's connection (ConnectionStatus, and forwarding-only addresses)
    "connected": _l("connected"),
    "disconnected": _l("disconnected"),
    "error": _l("error"),
    "forwarding": _l("forwarding"),
    # a DNS record's check (services/dns_check.py)
    "found": _l("found"),
    "missing": _l("missing"),
    "wrong": _l("wrong"),
    # notification states
    "queued": _l("queued"),
    "sending": _l("sending"),
    "retrying": _l("retrying"),
    "sent": _l("sent"),
    "failed": _l("failed"),
    "skipped": _l("skipped"),
}


VIEW_LABELS = {
    "unassigned": _l("Unassigned"),
    "mine": _l("My open"),
    "open": _l("All open"),
    "pending": _l("Pending"),
    "on-hold": _l("On-hold"),
    "solved": _l("Solved"),
    "all": _l("All tickets"),
}


def view_label(key: str) -> str:
    """A ticket view's name (domain/ticket_views.py keeps the English one, for logs and the API)."""
    return str(VIEW_LABELS[key])


def label(value: object) -> str:
    """The reader's word for a stored value; a value without one is shown as stored."""
    text = str(value)
    found = LABELS.get(text)
    return str(found) if found is not None else text
