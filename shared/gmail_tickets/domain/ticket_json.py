"""Tickets and comments as JSON objects, the one shape webhooks and the export show (docs/webhooks.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.ticket_fields import TimelineEntry


def iso(moment: datetime | None) -> str | None:
    """Fixed-width UTC text (microseconds always written), so text order is time order."""
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="microseconds")


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    """A ticket's fields (without its timeline: the export adds it as `history`)."""
    return {
        "id": ticket.id, "subject": ticket.subject, "status": str(ticket.status), "priority": str(ticket.priority),
        "requester": ticket.requester, "requester_name": ticket.requester_name, "assignee": ticket.assignee,
        "tags": list(ticket.tags), "brand_id": ticket.brand_id, "connection": ticket.connection,
        "followers": list(ticket.followers), "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at or ticket.created_at), "received_at": iso(ticket.received_at),
        "solved_at": iso(ticket.solved_at), "follow_up_of": ticket.follow_up_of, "version": ticket.version,
    }


def history_json(ticket: Ticket) -> list[dict[str, Any]]:
    """Every change of status, priority, assignee and tags, oldest first: who, when, from what to what."""
    return [change_json(e) for e in ticket.timeline]


def change_json(entry: TimelineEntry) -> dict[str, Any]:
    return {"at": iso(entry.at), "actor": entry.actor, "field": entry.field, "old": entry.old, "new": entry.new}


def comment_json(comment: Comment) -> dict[str, Any]:
    """Who wrote it, when, its text, and its attachments by reference (the bytes stay in the blob store)."""
    return {
        "id": comment.id, "ticket_id": comment.ticket_id, "author": comment.author,
        "author_kind": comment.author_kind, "public": comment.public, "created_at": iso(comment.created_at),
        "body_text": comment.body_text, "message_id": comment.message_id,
        "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size,
                         "blob_key": a.blob_key, "inline": a.inline} for a in comment.attachments],
    }
