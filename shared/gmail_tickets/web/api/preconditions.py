"""Conditional updates in plain HTTP (RFC 9110): a ticket's representation carries `ETag: "<version>"`, and
`If-Match: "<version>"` on an update makes it happen only while the ticket is still at that version — 412
otherwise — the same check as `version` in the body (409), for clients and tools that speak HTTP preconditions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import request

from gmail_tickets.domain.ticket_lifecycle import changed_by
from gmail_tickets.services.ticket_changes import EditConflict
from gmail_tickets.web.api.problems import Problem, refused_field

HEADER = "If-Match"
_STRONG = re.compile(r'^"(\d{1,19})"$')


def etag(version: int) -> str:
    return f'"{version}"'


@dataclass(frozen=True)
class Expected:
    """The version an update may apply to (None: any), and whether If-Match asked for it (a miss is then 412)."""

    version: int | None
    from_header: bool = False


def expected(body_version: int | None) -> Expected:
    """The version to check, from If-Match or the body's `version`; both may come if they agree."""
    header = request.headers.get(HEADER)
    if header is None or header.strip() == "*":  # "*": any current representation — the ticket exists
        return Expected(body_version)
    value = header.strip()
    if value.startswith("W/"):  # a weak tag never matches strongly: the update must not happen
        raise precondition_failed("If-Match needs the ticket's ETag as sent (a strong one), not a weak one.")
    match = _STRONG.match(value)
    if match is None:
        raise refused_field(f"header.{HEADER}", 'Send the ticket\'s ETag as it came, say "7" (with the quotes).')
    version = int(match.group(1))
    if body_version is not None and body_version != version:
        raise refused_field(f"header.{HEADER}", "If-Match and the body's version name different versions.")
    return Expected(version, from_header=True)


def precondition_failed(detail: str) -> Problem:
    return Problem(412, "Precondition Failed", detail)


def stale(conflict: EditConflict) -> str:
    """An update's conflict for an API client: who changed the ticket, and the version to read it again at."""
    who = ", ".join(changed_by(conflict.changes)) or "someone"
    return f"Changed by {who} meanwhile: the ticket is at version {conflict.ticket.version}; read it and resend."
