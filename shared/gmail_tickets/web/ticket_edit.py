"""The ticket page's working fields, for web/tickets.py's routes: the fields form (status, priority, assignee,
tags), the reply box's "submit as" and "public reply / internal note" choices, the timeline, and what a stale form
is told.

Every form on the ticket page carries the version it was rendered with; a save against a newer version writes
nothing and shows the page again with "Changed by … meanwhile", the changes missed, and the agent's own input
kept, at the new version, so submitting again is a deliberate choice.
"""

from __future__ import annotations

from typing import Any

from flask import flash, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gmail_tickets.domain.model import Ticket
from gmail_tickets.domain.people import Agent
from gmail_tickets.domain.ticket_fields import SUBMIT_AS, Priority, TicketStatus, TimelineEntry, split_tags
from gmail_tickets.domain.ticket_lifecycle import FieldChanges
from gmail_tickets.services import ticket_changes
from gmail_tickets.web import access
from gmail_tickets.web.labels import label


def actor() -> str:
    """Who the signed-in agent is, as timeline entries and comments name them."""
    return access.current().label


def form_version() -> int | None:
    """The version the submitted form was rendered with; None when absent (an API-style post: no check)."""
    raw = request.form.get("version", "")
    try:
        return int(raw) if raw.strip() else None
    except ValueError:
        return None


def form_status(name: str = "submit_as") -> TicketStatus | None:
    """An agent-choosable status from the form, or None (leave as it is)."""
    raw = request.form.get(name, "")
    return next((s for s in SUBMIT_AS if s.value == raw), None)


def page_context(ticket: Ticket, agents: list[Agent]) -> dict[str, Any]:
    """What the ticket page shows of the working fields, besides the conversation."""
    return {"submit_as": SUBMIT_AS, "priorities": list(Priority), "statuses": TicketStatus,
            "timeline": list(reversed(ticket.timeline)), "agents": known_agents(ticket, agents),
            "describe": describe}


def known_agents(ticket: Ticket, agents: list[Agent]) -> list[str]:
    """Whom the assignee field offers: the active agents, and whoever is assigned now (even if deactivated)."""
    return sorted({a.email for a in agents if a.active and a.email != access.SECRET_ADMIN} | (
        {ticket.assignee} if ticket.assignee else set()))


FIELD_NAMES = {"status": _l("Status"), "priority": _l("Priority"), "assignee": _l("Assignee"), "tags": _l("Tags")}


def describe(entry: TimelineEntry) -> str:
    """One timeline entry in words, in the reader's language (statuses and priorities too; their stored values
    stay English)."""
    old = label(entry.old) if entry.old not in (None, "") else _("none")
    new = label(entry.new) if entry.new not in (None, "") else _("none")
    return f"{FIELD_NAMES.get(entry.field, entry.field.capitalize())}: {old} → {new}"


def conflict_context(conflict: ticket_changes.EditConflict, note: str = "") -> dict[str, Any]:
    """Tell the agent (with `note` added), and list the changes on the page shown again."""
    flash(f"{conflict}{note}", "error")
    return {"conflict": conflict.changes}


def field_changes() -> tuple[FieldChanges, dict[str, str]]:
    """The fields the agent changed on the form, and their typed values (the draft kept on a conflict). The form
    carries what each field showed (`was_*`), so a field left alone is not sent back as a change: resubmitting
    after a conflict applies the agent's own changes, never the stale values of the others'."""
    form = request.form
    draft: dict[str, str] = {}
    status = form_status("status")
    if status is not None:
        draft["status"] = status.value
    priority = next((p for p in Priority if p.value == form.get("priority")), None)
    if priority is not None and priority.value != form.get("was_priority"):
        draft["priority"] = priority.value
    else:
        priority = None
    assignee: object = FieldChanges.keep()
    typed = form.get("assignee", "").strip()
    if "assignee" in form and typed.lower() != form.get("was_assignee", "").strip().lower():
        assignee, draft["assignee"] = typed, typed
    tags = split_tags(form.get("tags", "")) if "tags" in form else None
    if tags is not None and tags != split_tags(form.get("was_tags", "")):
        draft["tags"] = form.get("tags", "")
    else:
        tags = None
    return FieldChanges(status=status, priority=priority, assignee=assignee, tags=tags), draft
