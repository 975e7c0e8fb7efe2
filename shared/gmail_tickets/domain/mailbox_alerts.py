"""What is wrong with a connected mailbox, in plain words, with the one action that helps.

The reasons the code records are OAuth and Gmail jargon ("token refresh failed: invalid_grant …", "HTTP 401 after
a token refresh"); an admin needs to know what happened and what to do. `explain` maps the known reasons, most
specific first, and falls back to "reconnect". `alerts` turns connections and their send windows into the banner
the console shows on every page: a mailbox disconnected, or at Gmail's sending limit with the time Gmail takes
mail again. Pure: the console reads the records, this decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gmail_tickets.domain import send_window
from gmail_tickets.domain.model import AccountKind, Connection, ConnectionStatus
from gmail_tickets.domain.outbox import SendWindow
from gmail_tickets.domain.said import Said, said

TESTING_CLIENT_WARNING = said("OAuth client in Testing: tokens expire in 7 days")


class Action(StrEnum):
    RECONNECT = "reconnect"
    RELAY_IN_USE = "relay_in_use"
    TURN_GMAIL_SENDING_OFF = "turn_gmail_sending_off"
    SET_UP_RELAY = "set_up_relay"
    KEEP_GMAIL_SENDING = "keep_gmail_sending"


ACTION_TEXT = {
    Action.RECONNECT: said("Reconnect it: sign in to Google as this account again."),
    Action.RELAY_IN_USE: said("Nothing to do: replies and acknowledgements go out through the mail relay meanwhile."),
    Action.TURN_GMAIL_SENDING_OFF: said("The relay sends its mail meanwhile; if this happens often, turn Gmail sending "
                                        "off for this address so the relay sends all of it."),
    Action.SET_UP_RELAY: said("No mail relay is configured, so mail that Gmail does not take fails: set one up "
                              "(GT_RELAY_HOST) or wait."),
    Action.KEEP_GMAIL_SENDING: said("The relay sends meanwhile, but as a gmail.com address its mail fails gmail.com's "
                                    "DMARC and may land in spam: wait for Gmail, or use a domain address."),
}


@dataclass(frozen=True)
class Explained:
    plain: str
    action: Action

    @property
    def action_text(self) -> str:
        return ACTION_TEXT[self.action]


# (pattern in the recorded reason, plain words): most specific first.
_REASONS: tuple[tuple[str, Said], ...] = (
    (r"disconnected by an admin", said("an admin disconnected it in this console")),
    (r"admin_policy_enforced", said("a Google Workspace admin does not allow this app for the account's domain")),
    (r"invalid_client|unauthorized_client|deleted_client|disabled_client",
     said("the OAuth client was deleted, disabled, or its secret changed in the Google Cloud project")),
    (r"insufficient ?permissions|scope_insufficient|insufficient authentication scopes",
     said("Google gave less access than gmail.modify: on Google's page, allow every item asked for")),
    (r"mail service not enabled|failedprecondition",
     said("Gmail is turned off for this account (a Google Workspace admin can turn it on)")),
    (r"usernotfound|account (?:is )?(?:disabled|deleted|suspended)|domain_disabled",
     said("the Google account was deleted or suspended")),
    (r"no refresh token stored", said("its stored Google sign-in is missing here (the secret was removed)")),
    (r"access_denied", said("access was not granted on Google's page")),
    (r"invalid_grant|revoked|http 401", said("access was revoked in the Google account (or its sign-in expired)")),
    (r"import failed", said("the first import stopped with an error")),
)
_TESTING_EXPIRY = said("the OAuth client is in Testing: tokens expire after 7 days (publish the app to stop this)")


def explain(reason: str | None, *, testing_client: bool = False) -> Explained:
    """A recorded disconnection or error reason, in plain words; reconnecting is what helps for each of them."""
    text = (reason or "").lower()
    if testing_client and re.search(r"invalid_grant|revoked|http 401", text):
        return Explained(_TESTING_EXPIRY, Action.RECONNECT)
    for pattern, plain in _REASONS:
        if re.search(pattern, text):
            return Explained(plain, Action.RECONNECT)
    return Explained(said("Gmail refused to work with it") if text else said("it is not connected"), Action.RECONNECT)


def limit_text(kind: AccountKind | str, limit: int) -> str:
    """What the sending limit is, for the admin who sees "7 of 2,000"."""
    who = said("a Google Workspace account") if AccountKind(kind) == AccountKind.WORKSPACE else said(
        "a gmail.com account")
    return said("Gmail lets %(who)s send to %(limit)s recipients in any rolling 24 hours (500 for gmail.com, 2,000 "
                "for Workspace). Each recipient of each mail counts (To, Cc and Bcc), mail people send from Gmail "
                "itself counts too, and a mail sent to 3 people counts 3. Past the limit, Gmail refuses for up to a "
                "day and the relay sends instead.", who=who, limit=limit)


def gmail_again_at(window: SendWindow, limit: int, now: datetime) -> datetime | None:
    """When Gmail takes mail again: the time Gmail's own error gave, else when our count leaves room for one more
    recipient; None when it takes mail now."""
    if window.blocked(now):
        return window.blocked_until
    if window.sent(now) >= limit:
        return send_window.frees_at(window.buckets, now, limit, 1) if limit else None
    return None


@dataclass(frozen=True)
class Alert:
    """One address that needs the admin's eye, for the banner on every page."""

    address: str
    problem: str  # "disconnected" | "limit"
    plain: str
    action: Action
    until: datetime | None = None  # limit: when Gmail takes mail again

    @property
    def action_text(self) -> str:
        return ACTION_TEXT[self.action]


def limit_action(connection: Connection, *, relay: bool) -> Action:
    """What helps a mailbox at Gmail's limit: nothing but waiting without a relay; a gmail.com address cannot send
    well through one; a domain address can, and may as well always do so when the limit keeps being reached."""
    if not relay:
        return Action.SET_UP_RELAY
    if AccountKind(connection.account_kind) == AccountKind.GMAIL:
        return Action.KEEP_GMAIL_SENDING
    return Action.TURN_GMAIL_SENDING_OFF


def alerts(connections: Iterable[Connection], windows: Mapping[str, SendWindow],
           limit_of: Callable[[Connection], int], now: datetime, *, relay: bool = True) -> list[Alert]:
    """Disconnected mailboxes (why, and reconnect), and those at Gmail's limit while Gmail sends their mail (until
    when, and what helps: `limit_action`)."""
    found = []
    for connection in sorted(connections, key=lambda c: c.address):
        if connection.status != ConnectionStatus.CONNECTED:
            why = explain(connection.last_error, testing_client=TESTING_CLIENT_WARNING in connection.warnings)
            found.append(Alert(connection.address, "disconnected" if not connection.is_active else "error",
                               why.plain, why.action))
            continue
        window = windows.get(connection.address)
        if not connection.send_via_gmail or window is None:
            continue
        limit = limit_of(connection)
        if window.limit_reached(now, limit):
            found.append(Alert(connection.address, "limit", said("Gmail's sending limit is reached"),
                               limit_action(connection, relay=relay), gmail_again_at(window, limit, now)))
    return found
