"""Each support address's health as the console shows it: connection state, sync lag, what its mail became,
the initial import's progress, and sends in 24 h against Google's limit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gmail_tickets.domain import address_actions, dns_records, mailbox_alerts
from gmail_tickets.domain.model import AddressKind, ConnectionStatus, Outcome
from gmail_tickets.domain.send_window import limit_for
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.send_notification import send_warning


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
    brand_id: str = "default"
    consumer: bool = False  # gmail.com / googlemail.com: no DNS of its own
    limit_text: str = ""  # what Gmail's limit is and what counts
    gmail_again_at: datetime | None = None  # at the limit: when Gmail takes mail again
    at_limit: bool = False
    explained: mailbox_alerts.Explained | None = None  # not connected: why, in plain words, and what helps
    refusals: dict[str, str | None] = field(default_factory=dict)  # action → why it cannot apply (None: it can)

    @property
    def mails_imported(self) -> int:
        return sum(self.imported.values())

    @property
    def can_reconnect(self) -> bool:
        return self.status == ConnectionStatus.DISCONNECTED.value

    @property
    def importing(self) -> bool:
        return self.import_done < self.import_total and self.status == ConnectionStatus.CONNECTED.value


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
        state = address_actions.AddressState(address, is_default=bool(support and support.is_default),
                                             gmail=connection is not None,
                                             active=connection is not None and connection.is_active)
        if connection is None:
            rows.append(HealthRow(
                address=address, kind=kind, brand=brands.get(brand_id, brand_id),
                is_default=bool(support and support.is_default), status="forwarding", reason=None, last_sync=None,
                lag_seconds=None, imported={}, import_total=0, import_done=0, sends_24h=0, send_limit=None,
                send_via_gmail=False, warnings=[], brand_id=brand_id, consumer=dns_records.is_consumer(address),
                refusals=address_actions.refusals(state),
            ))
            continue
        counts = deps.store.ledger_counts(address)
        window = deps.store.get_send_window(address)
        limit = limit_for(connection.account_kind, deps.settings.send_limit)
        warning = send_warning(window, status=connection.status, send_via_gmail=connection.send_via_gmail,
                               limit=limit, now=now)
        testing = mailbox_alerts.TESTING_CLIENT_WARNING in connection.warnings
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
            brand_id=brand_id,
            consumer=dns_records.is_consumer(address),
            limit_text=mailbox_alerts.limit_text(connection.account_kind, limit),
            gmail_again_at=mailbox_alerts.gmail_again_at(window, limit, now) if warning else None,
            at_limit=bool(warning),
            explained=(None if connection.status == ConnectionStatus.CONNECTED
                       else mailbox_alerts.explain(connection.last_error, testing_client=testing)),
            refusals=address_actions.refusals(state),
        ))
    rows.sort(key=lambda r: (not r.is_default, r.address))
    return rows
