"""The audit log of admin actions: who did what, to what, when (shown to admins on the Audit page).

Written after the action succeeded (or in the action's own transaction, for changes to people), never before: the
log says what happened, not what was tried.
"""

from __future__ import annotations

import uuid

from gmail_tickets.domain.people import AuditEntry
from gmail_tickets.services.deps import Deps


def entry(deps: Deps, actor: str, action: str, target: str = "", detail: str = "") -> AuditEntry:
    return AuditEntry(id=uuid.uuid4().hex, at=deps.clock.now(), actor=actor, action=action, target=target,
                      detail=detail)


def record(deps: Deps, actor: str, action: str, target: str = "", detail: str = "") -> None:
    deps.store.add_audit(entry(deps, actor, action, target, detail))
