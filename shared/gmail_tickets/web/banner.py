"""The banner on every console page while a support address is disconnected or at Gmail's sending limit.

Fed by a context processor that reads only when a page renders the banner, and then two small, bounded reads (the
connections, and their send windows: one each per mailbox, never a growing list); domain/mailbox_alerts.py decides.
"""

from __future__ import annotations

from flask import Flask, current_app, g

from gmail_tickets.domain import mailbox_alerts
from gmail_tickets.domain.model import Connection
from gmail_tickets.domain.send_window import limit_for
from gmail_tickets.services.deps import Deps


def _alerts() -> list[mailbox_alerts.Alert]:
    if g.get("agent") is None:
        return []
    if "address_alerts" not in g:
        deps: Deps = current_app.extensions["gmail_tickets.deps"]
        connections = deps.store.list_connections()
        needs_windows = any(c.send_via_gmail and c.is_active for c in connections)
        windows = {w.address: w for w in deps.store.list_send_windows()} if needs_windows else {}

        def limit_of(connection: Connection) -> int:
            return limit_for(connection.account_kind, deps.settings.send_limit)

        g.address_alerts = mailbox_alerts.alerts(connections, windows, limit_of, deps.clock.now(),
                                                 relay=deps.relay is not None)
    return g.address_alerts  # type: ignore[no-any-return]


def install(app: Flask) -> None:
    app.context_processor(lambda: {"address_alerts": _alerts})
