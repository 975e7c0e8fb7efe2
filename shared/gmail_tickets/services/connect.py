"""Connect a Gmail account that has already granted access (its refresh token in hand).

The OAuth consent flow that obtains the token is `oauth_connect`; this is the shortcut the demo, the bench and
the tests use when they hold a refresh token already. The cursor is taken from the profile BEFORE anything is
imported, so mail arriving during the import is picked up by the next sync rather than missed.
"""

from __future__ import annotations

from dataclasses import dataclass

from gmail_tickets import secret_names
from gmail_tickets.domain import inbox_rules
from gmail_tickets.domain.model import AccountKind, AddressKind, Connection, ConnectionStatus, SupportAddress
from gmail_tickets.errors import MailboxError
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.sync_mailbox import SyncResult, import_messages


class WrongAccount(MailboxError):
    """The token belongs to another Google account than the address being connected."""


def ensure_support_address(deps: Deps, address: str, brand_id: str) -> SupportAddress:
    """The connected mailbox's support address; the first address of the helpdesk becomes the default, so
    there is always one to send from."""
    addresses = deps.store.list_support_addresses()
    existing = next((a for a in addresses if a.address == address), None)
    if existing is not None:
        if existing.kind != AddressKind.GMAIL_CONNECTOR:
            existing.kind = AddressKind.GMAIL_CONNECTOR
            deps.store.save_support_address(existing)
        return existing
    added = SupportAddress(address, brand_id=brand_id, is_default=not addresses, kind=AddressKind.GMAIL_CONNECTOR)
    deps.store.save_support_address(added)
    return added


@dataclass
class Connected:
    connection: Connection
    imported: SyncResult


def connect_mailbox(
    deps: Deps,
    address: str,
    refresh_token: str,
    *,
    brand_id: str = "default",
    account_kind: AccountKind = AccountKind.GMAIL,
    watch: bool = True,
) -> Connected:
    address = address.lower()
    deps.secrets.put(secret_names.refresh_token(address), refresh_token)
    mailbox = deps.mailbox_for(address)
    profile = mailbox.profile()
    if profile.email_address.lower() != address:
        deps.secrets.delete(secret_names.refresh_token(address))
        raise WrongAccount(
            f"Google signed in {profile.email_address}, not {address}: sign out of other Google accounts "
            "in the browser (or pick the right one on Google's page) and connect again."
        )
    now = deps.clock.now()
    connection = deps.store.get_connection(address) or Connection(address=address, created_at=now)
    connection.brand_id = brand_id
    connection.account_kind = account_kind
    connection.status = ConnectionStatus.CONNECTED
    connection.last_error = None
    connection.label_id = mailbox.ensure_label(deps.settings.label_name)
    if connection.history_id is None:
        connection.history_id = profile.history_id
    if watch:
        connection.watch_expiration = mailbox.watch(deps.settings.push_topic).expiration
    deps.store.save_connection(connection)
    ensure_support_address(deps, address, brand_id)
    since = int(now.timestamp()) - deps.settings.initial_lookback_seconds
    ids = [ref.id for ref in mailbox.list_messages(inbox_rules.full_sync_query(since))]
    ids.reverse()
    return Connected(connection, import_messages(deps, address, ids))
