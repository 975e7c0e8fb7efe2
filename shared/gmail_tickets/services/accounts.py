"""Managing support addresses and their Gmail connections: disconnect, delete, default, send-via-Gmail (the
relay's DNS guidance is in relay_dns.py, the console's health rows in mailbox_health.py).

The default support address is what notifications go out from, so it can be neither disconnected nor deleted
until another address is the default. Disconnecting revokes our access at Google as well as forgetting the token:
an admin who disconnects expects the app to lose access, not merely to stop using it.
"""

from __future__ import annotations

import logging

from gmail_tickets import secret_names
from gmail_tickets.domain.model import (
    Connection,
    ConnectionStatus,
    SupportAddress,
)
from gmail_tickets.errors import ActionRefused, GmailTicketsError
from gmail_tickets.ports import ConnectionUnit, OAuthClient
from gmail_tickets.services.deps import Deps

log = logging.getLogger(__name__)

REVOKE_FAILED_WARNING = (
    "Google could not be told to revoke access: remove the app at myaccount.google.com/permissions"
)


def _normalise(address: str) -> str:
    return address.strip().lower()


def _support(deps: Deps, address: str) -> tuple[list[SupportAddress], SupportAddress | None]:
    addresses = deps.store.list_support_addresses()
    return addresses, next((a for a in addresses if a.address == address), None)


def _refuse_if_default(deps: Deps, address: str, doing: str) -> None:
    _, support = _support(deps, address)
    if support is not None and support.is_default:
        raise ActionRefused(
            f"{address} is the default support address: make another address the default before you {doing} it."
        )


# --------------------------------------------------------------------------- actions


def disconnect(deps: Deps, address: str, *, oauth: OAuthClient) -> Connection:
    """Stop the watch, revoke the token at Google, forget it, mark the connection disconnected. The connection
    keeps its cursor, so a reconnect picks up the mail that arrived in between."""
    address = _normalise(address)
    connection = deps.store.get_connection(address)
    if connection is None:
        raise ActionRefused(f"{address} is not a connected Gmail account.")
    _refuse_if_default(deps, address, "disconnect")
    name = secret_names.refresh_token(address)
    token = deps.secrets.get(name)
    revoke_failed = False
    if token is not None:
        try:
            deps.mailbox_for(address).stop_watch()
        except GmailTicketsError as exc:  # a revoked or broken token cannot stop anything: carry on
            log.info("stop watch failed", extra={"connection": address, "error": type(exc).__name__})
        try:
            oauth.revoke(token)
        except GmailTicketsError as exc:
            revoke_failed = True
            log.warning("revoking a token failed", extra={"connection": address, "error": type(exc).__name__})
        deps.secrets.delete(name)
    now = deps.clock.now()

    def work(uow: ConnectionUnit) -> Connection:
        current = uow.get_connection(address) or connection
        current.status = ConnectionStatus.DISCONNECTED
        current.disconnected_at = now
        current.last_error = "Disconnected by an admin"
        current.watch_expiration = None
        current.warnings = [w for w in current.warnings if w != REVOKE_FAILED_WARNING]
        if revoke_failed:
            current.warnings.append(REVOKE_FAILED_WARNING)
        uow.put_connection(current)
        return current

    disconnected = deps.store.atomically(work)
    log.info("mailbox disconnected", extra={"connection": address})
    return disconnected


def delete_address(deps: Deps, address: str) -> None:
    """Remove a support address and its connection. A Gmail connection must be disconnected first (so its
    access is revoked); the default address cannot be removed."""
    address = _normalise(address)
    _, support = _support(deps, address)
    connection = deps.store.get_connection(address)
    if support is None and connection is None:
        raise ActionRefused(f"{address} is not a support address.")
    _refuse_if_default(deps, address, "delete")
    if connection is not None and connection.is_active:
        raise ActionRefused(f"Disconnect {address} before deleting it.")
    deps.secrets.delete(secret_names.refresh_token(address))  # Limited Use: no token outlives its mailbox
    if connection is not None:
        deps.store.delete_connection(address)
    if support is not None:
        deps.store.delete_support_address(address)
    log.info("support address deleted", extra={"connection": address})


def make_default(deps: Deps, address: str) -> None:
    """Make `address` the default. The new default is saved before the old one is cleared, so there is never
    a moment without one."""
    address = _normalise(address)
    addresses, support = _support(deps, address)
    if support is None:
        raise ActionRefused(f"{address} is not a support address.")
    connection = deps.store.get_connection(address)
    if connection is not None and not connection.is_active:
        raise ActionRefused(f"{address} is disconnected: reconnect it before making it the default.")
    if not support.is_default:
        support.is_default = True
        deps.store.save_support_address(support)
    for other in addresses:
        if other.address != address and other.is_default:
            other.is_default = False
            deps.store.save_support_address(other)


def set_send_via_gmail(deps: Deps, address: str, on: bool) -> Connection:
    """Send notifications of this mailbox through Gmail (on) or always through the relay (off)."""
    address = _normalise(address)

    def work(uow: ConnectionUnit) -> Connection | None:
        connection = uow.get_connection(address)
        if connection is not None and connection.send_via_gmail != on:
            connection.send_via_gmail = on
            uow.put_connection(connection)
        return connection

    connection = deps.store.atomically(work)
    if connection is None:
        raise ActionRefused(f"{address} is not a connected Gmail account.")
    return connection
