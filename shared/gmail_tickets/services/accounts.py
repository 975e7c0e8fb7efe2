"""Managing support addresses and their Gmail connections: disconnect, delete, default, send-via-Gmail (the
relay's DNS guidance is in relay_dns.py, the console's health rows in mailbox_health.py).

The default support address is what notifications go out from, so it can be neither disconnected nor deleted
until another address is the default. Disconnecting revokes our access at Google as well as forgetting the token:
an admin who disconnects expects the app to lose access, not merely to stop using it.
"""

from __future__ import annotations

import logging

from gmail_tickets.domain import address_actions
from gmail_tickets.domain.model import (
    Connection,
    ConnectionStatus,
    SupportAddress,
)
from gmail_tickets.domain.said import said
from gmail_tickets.errors import ActionRefused, GmailTicketsError
from gmail_tickets.ports import ConnectionUnit, OAuthClient, UnitOfWork
from gmail_tickets.services import connection_health, webhook_events
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


def state_of(deps: Deps, address: str) -> address_actions.AddressState:
    """What decides which actions apply (domain/address_actions.py)."""
    _, support = _support(deps, address)
    connection = deps.store.get_connection(address)
    return address_actions.AddressState(address, is_default=bool(support and support.is_default),
                                        gmail=connection is not None,
                                        active=connection is not None and connection.is_active)


def _refuse(reason: str | None) -> None:
    if reason is not None:
        raise ActionRefused(reason)


# --------------------------------------------------------------------------- actions


def disconnect(deps: Deps, address: str, *, oauth: OAuthClient) -> Connection:
    """Stop the watch, revoke the token at Google, forget it, mark the connection disconnected. The connection
    keeps its cursor, so a reconnect picks up the mail that arrived in between."""
    address = _normalise(address)
    connection = deps.store.get_connection(address)
    if connection is None:
        raise ActionRefused(said("%(address)s is not a connected Gmail account.", address=address))
    _refuse(address_actions.disconnect_refusal(state_of(deps, address)))
    token = deps.refresh_tokens.get(address)
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
        deps.refresh_tokens.delete(address)  # also drops the cached access token
    now = deps.clock.now()

    def work(uow: UnitOfWork) -> Connection:
        current = uow.get_connection(address) or connection
        if current.status != ConnectionStatus.DISCONNECTED:
            connection_health.disconnected(deps, uow, address, "Disconnected by an admin")
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
    webhook_events.announce(deps)
    log.info("mailbox disconnected", extra={"connection": address})
    return disconnected


def delete_address(deps: Deps, address: str) -> None:
    """Remove a support address and its connection. A Gmail connection must be disconnected first (so its
    access is revoked); the default address cannot be removed."""
    address = _normalise(address)
    _, support = _support(deps, address)
    connection = deps.store.get_connection(address)
    if support is None and connection is None:
        raise ActionRefused(said("%(address)s is not a support address.", address=address))
    _refuse(address_actions.delete_refusal(state_of(deps, address)))
    deps.refresh_tokens.delete(address)  # Limited Use: no token outlives its mailbox
    if connection is not None:
        deps.store.delete_connection(address)
    if support is not None:
        deps.store.delete_support_address(address)
        deps.own_addresses.forget(address)
    log.info("support address deleted", extra={"connection": address})


def make_default(deps: Deps, address: str) -> None:
    """Make `address` the default. The new default is saved before the old one is cleared, so there is never
    a moment without one."""
    address = _normalise(address)
    addresses, support = _support(deps, address)
    if support is None:
        raise ActionRefused(said("%(address)s is not a support address.", address=address))
    if support.is_default:
        return
    _refuse(address_actions.make_default_refusal(state_of(deps, address)))
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
        raise ActionRefused(said("%(address)s is not a connected Gmail account.", address=address))
    return connection


def set_brand(deps: Deps, address: str, brand_id: str) -> str | None:
    """Give the address (its connection and its support address) another brand; new tickets take it from now.
    Returns the brand it had, or None when it had this one already."""
    address = _normalise(address)
    if brand_id not in {b.id for b in deps.store.list_brands()} | {"default"}:
        raise ActionRefused(said("There is no brand %(brand)s.", brand=repr(brand_id)))
    _, support = _support(deps, address)

    def work(uow: ConnectionUnit) -> str | None:
        connection = uow.get_connection(address)
        if connection is None or connection.brand_id == brand_id:
            return None
        before, connection.brand_id = connection.brand_id, brand_id
        uow.put_connection(connection)
        return before

    before = deps.store.atomically(work)
    if support is None and deps.store.get_connection(address) is None:
        raise ActionRefused(said("%(address)s is not a support address.", address=address))
    if support is not None and support.brand_id != brand_id:
        before = before or support.brand_id
        support.brand_id = brand_id
        deps.store.save_support_address(support)
    return before
