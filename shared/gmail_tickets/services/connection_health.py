"""Record what is wrong (or right again) with a connection, where admins see it."""

from __future__ import annotations

import logging

from gmail_tickets.domain.model import ConnectionStatus
from gmail_tickets.ports import ConnectionUnit
from gmail_tickets.services.deps import Deps

log = logging.getLogger(__name__)


def mark_connection(deps: Deps, address: str, status: ConnectionStatus, reason: str) -> None:
    """Set a connection's status and reason. A disconnection stops its syncing until an admin reconnects."""
    now = deps.clock.now()

    def work(uow: ConnectionUnit) -> None:
        connection = uow.get_connection(address)
        if connection is None:
            return
        connection.status = status
        connection.last_error = reason
        if status == ConnectionStatus.DISCONNECTED:
            connection.disconnected_at = now
        uow.put_connection(connection)

    deps.store.atomically(work)
    log.warning("connection marked", extra={"connection": address, "status": status.value, "reason": reason})
