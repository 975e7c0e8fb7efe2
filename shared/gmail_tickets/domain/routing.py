"""Which way a notification leaves: through the connected Gmail account, or through the helpdesk's SMTP relay.

Gmail is preferred (the customer sees the support address's own mail, threaded in its Sent folder), but only when
it can be expected to accept the mail. Everything else goes to the relay, which never hits Gmail's daily limit.
The decision is pure so the send use case, the console ("why did this go via the relay?") and tests share it.

Precedence of the relay reasons, first match wins, from the admin's choice to the most transient condition:
1. sending via Gmail is off for the connection (an explicit choice beats everything);
2. the connection is not connected (disconnected or error: no usable token, nothing to try);
3. the mail has physical attachments (they go via the relay by design);
4. Gmail answered its sending-limit error and that block is still in force (Google's word beats our count);
5. our rolling 24 h count plus this mail's recipients would pass the limit.
For an outbox record (`route_notification`), three reasons come first: Gmail already refused this mail for good
(the record is for the relay only); it is a mail to an agent (domain/triggers.py) and a relay is configured
(agents' mail does not spend the support address's Gmail quota nor fill its Sent folder); or its connection no
longer exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from gmail_tickets.domain import send_window
from gmail_tickets.domain.model import Connection, ConnectionStatus
from gmail_tickets.domain.outbox import Notification, SendWindow
from gmail_tickets.domain.said import N_
from gmail_tickets.domain.triggers import to_agents

GMAIL: Literal["gmail"] = "gmail"
RELAY: Literal["relay"] = "relay"

# The reasons are kept on the outbox record in English; the console says them in the reader's language
# (domain/said.py `recognise`).
REASON_GMAIL_OFF = N_("Sending via Gmail is turned off for this connection.")
REASON_ATTACHMENTS = N_("The mail has attachments, which are sent through the relay.")
REASON_NO_CONNECTION = N_("The Gmail connection no longer exists.")
REASON_GMAIL_REFUSED = N_("Gmail refused this mail.")
REASON_TO_AGENTS = N_("Mail to agents goes through the relay.")
_WITH_VALUES = {
    "not connected": N_("The Gmail connection is %(status)s, not connected."),
    "blocked": N_("Gmail reported its daily sending limit reached; using the relay until %(until)s."),
    "would pass": N_("Sending to %(recipients)s recipient(s) would pass the Gmail limit: %(sent)s of %(limit)s used "
                     "in 24 h."),
    "within": N_("Within the Gmail limit: %(total)s of %(limit)s recipients in 24 h."),
}


@dataclass(frozen=True)
class Route:
    """Where a mail goes and, for admins reading the outbox, the one reason that decided it."""

    via: Literal["gmail", "relay"]
    reason: str


def choose_route(
    *,
    send_via_gmail: bool,
    connection_status: str,
    has_attachments: bool,
    recipients: int,
    sent_24h: int,
    limit: int,
    limit_reached_until: datetime | None,
    now: datetime,
) -> Route:
    """Gmail only when every condition allows it; otherwise the relay with the first reason in the module's order.

    The limit check is inclusive (`sent_24h + recipients <= limit`): exactly reaching the limit is still allowed,
    and a mail whose recipients would cross it goes whole to the relay (a mail is never split across routes).
    The block lapses at `limit_reached_until` itself.
    """
    if recipients < 0 or sent_24h < 0:
        raise ValueError("recipient counts cannot be negative")
    if not send_via_gmail:
        return Route(RELAY, REASON_GMAIL_OFF)
    if connection_status != ConnectionStatus.CONNECTED:
        return Route(RELAY, _WITH_VALUES["not connected"] % {"status": connection_status})
    if has_attachments:
        return Route(RELAY, REASON_ATTACHMENTS)
    if limit_reached_until is not None and limit_reached_until > now:
        return Route(RELAY, _WITH_VALUES["blocked"] % {"until": f"{limit_reached_until:%Y-%m-%d %H:%M %Z}"})
    total = sent_24h + recipients
    if total > limit:
        return Route(RELAY, _WITH_VALUES["would pass"] % {"recipients": recipients, "sent": sent_24h, "limit": limit})
    return Route(GMAIL, _WITH_VALUES["within"] % {"total": total, "limit": limit})


def route_notification(n: Notification, connection: Connection | None, window: SendWindow, *,
                       send_limit: int | None, now: datetime, relay_configured: bool = False) -> Route:
    """The route for an outbox record now: the relay once Gmail refused it for good (`force_relay`), for a mail
    to agents while a relay is configured, or when its connection is gone; otherwise `choose_route` on the
    connection and the account's send window. `send_limit` is the admin's override of the account kind's limit,
    if any."""
    if n.force_relay:
        return Route(RELAY, n.route_reason or REASON_GMAIL_REFUSED)
    if relay_configured and to_agents(n.event):
        return Route(RELAY, REASON_TO_AGENTS)
    if connection is None:
        return Route(RELAY, REASON_NO_CONNECTION)
    return choose_route(
        send_via_gmail=connection.send_via_gmail,
        connection_status=str(connection.status),
        has_attachments=n.has_attachments,
        recipients=len(n.recipients),
        sent_24h=window.sent(now),
        limit=send_window.limit_for(connection.account_kind, send_limit),
        limit_reached_until=window.blocked_until,
        now=now,
    )
