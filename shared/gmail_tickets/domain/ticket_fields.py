"""A ticket's working fields (status, priority, tags) and the entries of its timeline.

Kept apart from model.py so the lifecycle rules (domain/ticket_lifecycle.py) and the model share one definition.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


class TicketStatus(enum.StrEnum):
    """Zendesk's statuses: new until an agent first acts; closed only by the sweep, and then never changes."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"  # waiting for the customer
    ON_HOLD = "on-hold"  # waiting for someone else (a third party)
    SOLVED = "solved"
    CLOSED = "closed"


SUBMIT_AS: tuple[TicketStatus, ...] = (TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ON_HOLD,
                                       TicketStatus.SOLVED)
"""What an agent may submit a ticket as (new and closed are the system's alone)."""

REOPENED_BY_CUSTOMER: frozenset[TicketStatus] = frozenset(
    {TicketStatus.PENDING, TicketStatus.ON_HOLD, TicketStatus.SOLVED})


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


CUSTOMER = "customer"
SYSTEM = "system"
"""Actors of timeline entries besides agents (an agent is named by their email or sign-in name)."""


@dataclass(frozen=True)
class TimelineEntry:
    """One change of one field: who (an actor string), when, from what to what, and the ticket version it made
    (what a stale form compares against to list the changes it missed)."""

    at: datetime
    actor: str
    field: str  # "status", "priority", "assignee" or "tags"
    old: str | None
    new: str | None
    version: int = 0


_SPACE = re.compile(r"\s+")
MAX_TAG_CHARS = 64
MAX_TAGS = 50


def normalise_tags(tags: Iterable[str]) -> list[str]:
    """Tags as Zendesk keeps them: lower-case, no spaces (inner runs become "_"), each once, in first-seen order;
    empty ones dropped, each cut to MAX_TAG_CHARS and at most MAX_TAGS kept."""
    seen: dict[str, None] = {}
    for tag in tags:
        clean = _SPACE.sub("_", tag.strip().lower()).strip("_")[:MAX_TAG_CHARS]
        if clean:
            seen.setdefault(clean, None)
    return list(seen)[:MAX_TAGS]


def split_tags(text: str) -> list[str]:
    """Tags typed in one field, separated by commas or spaces."""
    return normalise_tags(re.split(r"[,\s]+", text))
