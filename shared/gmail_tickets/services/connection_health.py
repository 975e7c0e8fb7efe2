"""Record what is wrong (or right again) with a connection, where admins see it."""

from __future__ import annotations

import logging

from gmail_tickets.domain.model import ConnectionStatus
from gmail_tickets.domain.webhooks import WebhookEvent
from gmail_tickets.ports import UnitOfWork
from gmail_tickets.services import webhook_events
from gmail_tickets.services.deps import Deps

log = logging.getLogger(__name__)


def mark_connection(deps: Deps, address: str, status: ConnectionStatus, reason: str) -> None:
    """Set a connection's status and reason. A disconnection stops its syncing until an admin reconnects."""
    now = deps.clock.now()

    def work(uow: UnitOfWork) -> None:
        connection = uow.get_connection(address)
        if connection is None:
            return
        if status == ConnectionStatus.DISCONNECTED and connection.status != ConnectionStatus.DISCONNECTED:
            disconnected(deps, uow, address, reason)
        connection.status = status
        connection.last_error = reason
        if status == ConnectionStatus.DISCONNECTED:
            connection.disconnected_at = now
        uow.put_connection(connection)

    deps.store.atomically(work)
    webhook_events.announce(deps)
    log.warning("connection marked", extra={"connection": address, "status": status.value, "reason": reason})


def disconnected(deps: Deps, uow: UnitOfWork, address: str, reason: str) -> None:
    """The connection.disconnected event, in the transaction that disconnects it (automatically or by an admin)."""
    webhook_events.emit(deps, uow, WebhookEvent.CONNECTION_DISCONNECTED, connection=address,
                        data={"connection": {"address": address, "reason": reason}})
