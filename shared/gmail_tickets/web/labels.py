"""Stored values the console shows in the reader's language: a ticket's status and priority, an agent's role, a
notification's state. The stores keep the English values; only the words on the page change (`| label`)."""

from __future__ import annotations

from flask_babel import format_number, gettext
from flask_babel import lazy_gettext as _l

from gmail_tickets.domain import (  # noqa: F401  (their stored kinds of text are marked on import: said.recognise)
    ack_policy,
    auto_mail,
    burst,
    delivery_words,
    disposition,
    outbox,
    routing,
)
from gmail_tickets.domain.said import KNOWN, Said, recognise

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
    "Verification": _l("Verification"),  # the record proving the domain is the admin's (SPF, DKIM, DMARC are names)
    # what an initial import made (the Support addresses page)
    "ticket": _l("ticket"),
    "comment": _l("comment"),
    "suspended": _l("suspended"),
    # the default triggers (domain/triggers.py TITLES), as Zendesk's German console names them
    "Notify requester of received request": _l("Notify requester of received request"),
    "Notify requester and followers of comment update": _l("Notify requester and followers of comment update"),
    "Notify assignee of the customer's reply": _l("Notify assignee of the customer's reply"),
    "Notify assignee of assignment": _l("Notify assignee of assignment"),
    "Notify requester of solved request": _l("Notify requester of solved request"),
    # what the triggers' extra template variables hold (services/trigger_templates.py EXTRA_VARIABLES)
    "the agent's reply": _l("the agent's reply"),
    "the agent's name": _l("the agent's name"),
    "the customer's mail": _l("the customer's mail"),
    "the assignee's address": _l("the assignee's address"),
    "who assigned it": _l("who assigned it"),
    "who solved it": _l("who solved it"),
    # notification states
    "queued": _l("queued"),
    "sending": _l("sending"),
    "retrying": _l("retrying"),
    "sent": _l("sent"),
    "failed": _l("failed"),
    "skipped": _l("skipped"),
    # webhook delivery states (the others are the notifications')
    "delivered": _l("delivered"),
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
    """The reader's word for a stored value or for words the domain wrote (domain/said.py), also when they were
    stored (a suspended mail's reason, a notification's error: `recognise`); anything else is shown as stored."""
    if isinstance(value, Said):
        return _said(value)
    text = str(value)
    found = LABELS.get(text)
    if found is not None:
        return str(found)
    if text in KNOWN:
        return str(gettext(text))
    stored = recognise(text)
    return _said(stored) if stored is not None else text


def _said(words: Said) -> str:
    values = {name: label(v) if isinstance(v, Said) else format_number(v) if isinstance(v, int) else v
              for name, v in words.params.items()}
    return str(gettext(words.msgid, **values))


def refusal(error: Exception) -> str:
    """An ActionRefused's words in the reader's language (the domain's own words are translated)."""
    return label(error.args[0]) if error.args else str(error)
