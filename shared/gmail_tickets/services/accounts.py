"""Managing support addresses and their Gmail connections: disconnect, delete, default, send-via-Gmail, the
relay's DNS guidance, and the health rows the admin console shows.

The default support address is what notifications go out from, so it can be neither disconnected nor deleted
until another address is the default. Disconnecting revokes our access at Google as well as forgetting the token:
an admin who disconnects expects the app to lose access, not merely to stop using it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from gmail_tickets import secret_names
from gmail_tickets.domain.model import (
    AddressKind,
    Connection,
    ConnectionStatus,
    Outcome,
    SupportAddress,
)
from gmail_tickets.domain.send_window import limit_for
from gmail_tickets.errors import ActionRefused, GmailTicketsError
from gmail_tickets.ports import ConnectionUnit, OAuthClient
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.send_notification import send_warning

log = logging.getLogger(__name__)

REVOKE_FAILED_WARNING = (
    "Google could not be told to revoke access: remove the app at myaccount.google.com/permissions"
)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


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


# --------------------------------------------------------------------------- relay DNS guidance


@dataclass(frozen=True)
class DnsRecord:
    name: str
    type: str
    value: str


@dataclass(frozen=True)
class RelayDnsGuidance:
    """What the admin publishes so mail sent through the relay for `domain` passes SPF and DKIM."""

    domain: str
    spf: DnsRecord
    verification: DnsRecord
    verification_code: str
    dkim_steps: list[str] = field(default_factory=list)


def domain_verification_code(key: bytes, domain: str) -> str:
    """Stable per domain and installation, unguessable without the key: proves the admin published it."""
    return hmac.new(key, f"relay-domain\x00{domain}".encode(), hashlib.sha256).hexdigest()[:32]


def relay_dns_guidance(deps: Deps, domain: str, *, spf_include: str, dkim_selector: str = "gt1") -> RelayDnsGuidance:
    domain = domain.strip().lower().rstrip(".")
    if not _DOMAIN.match(domain):
        raise ActionRefused(f"{domain!r} is not a domain name.")
    key_hex = deps.secrets.get(secret_names.DOMAIN_VERIFICATION_KEY)
    if key_hex is None:
        key_hex = secrets.token_hex(32)
        deps.secrets.put(secret_names.DOMAIN_VERIFICATION_KEY, key_hex)
    code = domain_verification_code(bytes.fromhex(key_hex), domain)
    dkim_name = f"{dkim_selector}._domainkey.{domain}"
    return RelayDnsGuidance(
        domain=domain,
        spf=DnsRecord(domain, "TXT", f"v=spf1 include:{spf_include} ~all"),
        verification=DnsRecord(f"_gmail-tickets.{domain}", "TXT", f"gmail-tickets-verification={code}"),
        verification_code=code,
        dkim_steps=[
            f"If {domain} already has a TXT record starting with v=spf1, add include:{spf_include} to it "
            "instead of creating a second one (a domain may have only one SPF record).",
            f"In your relay's settings, create a DKIM key for {domain} with the selector {dkim_selector}.",
            f"Publish the public key it shows as a TXT record named {dkim_name} (value: v=DKIM1; k=rsa; p=…).",
            "Wait for DNS to update (up to an hour), then use the relay's check to confirm DKIM signing.",
            f"Optionally publish DMARC: a TXT record _dmarc.{domain} with v=DMARC1; p=none; once SPF and DKIM pass.",
        ],
    )


# --------------------------------------------------------------------------- health


@dataclass(frozen=True)
class HealthRow:
    """One support address as the console shows it."""

    address: str
    kind: str  # gmail_connector | forwarding
    brand: str
    is_default: bool
    status: str  # connected | disconnected | error | forwarding
    reason: str | None
    last_sync: datetime | None
    lag_seconds: float | None
    imported: dict[str, int]  # ledger outcomes → count
    import_total: int
    import_done: int
    sends_24h: int
    send_limit: int | None
    send_via_gmail: bool
    warnings: list[str]

    @property
    def mails_imported(self) -> int:
        return sum(self.imported.values())

    @property
    def can_reconnect(self) -> bool:
        return self.status == ConnectionStatus.DISCONNECTED.value


def health(deps: Deps) -> list[HealthRow]:
    """Rows for every support address (and any connection without one), the default first. Sends in the last
    24 h are the recipients Gmail sent to for us (what its limit counts); at the limit, or while Gmail refuses
    after its limit error, the row warns that the relay is in use."""
    now = deps.clock.now()
    brands = {b.id: b.name for b in deps.store.list_brands()}
    connections = {c.address: c for c in deps.store.list_connections()}
    supports = {a.address: a for a in deps.store.list_support_addresses()}
    rows = []
    for address in sorted(set(connections) | set(supports)):
        support = supports.get(address)
        connection = connections.get(address)
        kind = support.kind.value if support else AddressKind.GMAIL_CONNECTOR.value
        brand_id = support.brand_id if support else connection.brand_id if connection else "default"
        if connection is None:
            rows.append(HealthRow(
                address=address, kind=kind, brand=brands.get(brand_id, brand_id),
                is_default=bool(support and support.is_default), status="forwarding", reason=None, last_sync=None,
                lag_seconds=None, imported={}, import_total=0, import_done=0, sends_24h=0, send_limit=None,
                send_via_gmail=False, warnings=[],
            ))
            continue
        counts = deps.store.ledger_counts(address)
        window = deps.store.get_send_window(address)
        limit = limit_for(connection.account_kind, deps.settings.send_limit)
        warning = send_warning(window, status=connection.status, send_via_gmail=connection.send_via_gmail,
                               limit=limit, now=now)
        rows.append(HealthRow(
            address=address,
            kind=kind,
            brand=brands.get(brand_id, brand_id),
            is_default=bool(support and support.is_default),
            status=connection.status.value,
            reason=connection.last_error,
            last_sync=connection.last_sync_at,
            lag_seconds=(now - connection.last_sync_at).total_seconds() if connection.last_sync_at else None,
            imported={o.value: counts.get(o, 0) for o in Outcome if counts.get(o, 0)},
            import_total=connection.import_total,
            import_done=connection.import_done,
            sends_24h=window.sent(now),
            send_limit=limit,
            send_via_gmail=connection.send_via_gmail,
            warnings=[*connection.warnings, *([warning] if warning else [])],
        ))
    rows.sort(key=lambda r: (not r.is_default, r.address))
    return rows
