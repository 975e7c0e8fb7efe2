"""Delivery as a decision table: what one attempt's outcome means for an outbox record (see domain/outbox.py).

A sender claims a record, makes one attempt on its route (Gmail's messages.send, a search of Gmail's SENT folder
after an interrupted send, or the relay), and gets an outcome value back. `next_step` turns that outcome into the
one step to take: settle it sent, retry it later, hold it until Gmail's search can show it, fail it visibly, hand it
to the relay, or choose its route afresh. Pure and total, so each row is unit-tested with plain values; the service
only performs the step, and only while it still holds the record.

Attempts are counted per route: the claim counts one, and a hand-over to the relay starts the relay's count at one
(Gmail's failures do not use up the relay's retries). A SENT search is made under a fresh claim, so it runs one
count above the Gmail attempts it follows up on.

Transient failures are retried by TIME, like a mail server's queue: the next attempt waits a backoff that doubles
from `retry_first` up to `retry_ceiling` (jittered so a relay outage's records do not all come back at once), and
the record fails visibly only once `retry_budget` has passed since its first failure. A relay that is down for
20 s or for 2 h therefore delays mail but loses none.

The relay keeps no record we could search, so its one ambiguous moment (the sender vanished mid-hand-over, or the
connection dropped after the whole message) is resolved as every mail server resolves it: at least once. The mail
goes again with the SAME Message-ID (receivers collapse copies that share one), the record counts the resend and
says so in the console (RFC 5321 §6.1 takes the duplicate over the loss; RFC 1047 describes the window). Only the
relay's explicit answers decide anything else, and after `MOST_RESENDS` interruptions of one record it fails
visibly instead (a mail that kills its sender every time must not be sent forever).
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import assert_never

from gmail_tickets.domain import delivery_words as words
from gmail_tickets.domain.attempt_outcomes import (
    AttachmentMissing,
    AttemptOutcome,
    FoundInSent,
    GmailSent,
    LimitReached,
    NoRelay,
    NotInSent,
    RefusedUnseen,
    Rejected,
    RelayPartlySent,
    RelayRefused,
    RelaySent,
    RelayTransient,
    RelayUncertain,
    Revoked,
    SearchRefused,
    SearchUnclear,
    Unbuildable,
    Unclear,
)
from gmail_tickets.domain.delivery_words import FOUND_IN_SENT, LIMIT_REACHED, MOST_RESENDS, UNKNOWN_RELAY_OUTCOME
from gmail_tickets.domain.outbox import Notification, NotificationState
from gmail_tickets.domain.routing import RELAY, Route

# Gmail's "Retry after" is honoured within these bounds: its times are known to be off at times.
SHORTEST_BLOCK = timedelta(minutes=1)
LONGEST_BLOCK = timedelta(days=1)


@dataclass(frozen=True)
class DeliveryRules:
    """The settings delivery decides by, as plain values."""

    max_attempts: int  # Gmail attempts (rate limited, or unclear then searched); then the relay takes the mail
    lease: timedelta  # how long a claim (or a hand-over) holds the record between two renewals by its sender
    recheck: timedelta  # how long after a Gmail send (or the end of a hold that may have sent) its search shows it
    limit_block: timedelta  # Gmail blocked after its limit error when it named no time
    retry_first: timedelta = timedelta(seconds=30)  # the first backoff after a transient failure
    retry_ceiling: timedelta = timedelta(minutes=15)  # backoff never grows beyond this
    retry_budget: timedelta = timedelta(hours=24)  # from the first failure; then the record fails visibly


# --------------------------------------------------------------------------- the claim


class ClaimAction(enum.Enum):
    """What a sender does with the record it found at claim time."""

    DUPLICATE = "duplicate"  # settled already: the event was delivered again, nothing to send
    BUSY = "busy"  # another sender holds it: look again later
    NOT_DUE = "not_due"  # retrying, and its next attempt time has not come: the sweep publishes it then
    RESEND = "resend"  # its sender vanished while handing it to the relay: send it again, same Message-ID
    FAIL_UNKNOWN = "fail_unknown"  # ... and that happened `MOST_RESENDS` times already: fail it for an admin
    SEARCH_SENT = "search_sent"  # its sender vanished (or got no clear answer) mid-Gmail: look in SENT first
    ROUTE = "route"  # queued: choose the route now and send


def claim_action(n: Notification, now: datetime, search_lag: timedelta = timedelta(0)) -> ClaimAction:
    """The relay keeps no record we could look in, so a vanished relay sender cannot be settled by looking: its
    mail is sent again (at least once, see the module's docstring), up to `MOST_RESENDS` times.

    A Gmail sender may have sent the mail up to the end of its hold (its lease, renewed while it lived, or the
    moment it got no clear answer), and Gmail's search may not show a mail sent seconds ago: SENT is searched
    only `search_lag` after the hold ended. Until then the record stays busy, so nobody sends it a second time."""
    if n.is_settled:
        return ClaimAction.DUPLICATE
    if n.state == NotificationState.RETRYING and n.next_attempt_at is not None and n.next_attempt_at > now:
        return ClaimAction.NOT_DUE  # an early or duplicate event must not cut the backoff short
    if n.state != NotificationState.SENDING:
        return ClaimAction.ROUTE
    if not n.lease_expired(now):
        return ClaimAction.BUSY
    if n.route == RELAY:
        return ClaimAction.RESEND if n.resent_after_interruption < MOST_RESENDS else ClaimAction.FAIL_UNKNOWN
    if n.lease_until is not None and now < n.lease_until + search_lag:
        return ClaimAction.BUSY
    return ClaimAction.SEARCH_SENT


# --------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class SettleSent:
    """Sent: settled for good."""

    gmail_message_id: str | None = None
    note: str | None = None  # kept on the record: the recipients the relay refused
    count_gmail_sends: bool = False  # Gmail sent it: count its recipients first (errs high, never low)
    reason: str = ""  # for the caller


@dataclass(frozen=True)
class RetryLater:
    """Retrying: released until `at`, when the sweep publishes it again (the event in hand is acked). `resend`:
    the relay may have taken it already, so the next attempt is a resend (counted on the record)."""

    error: str
    at: datetime
    resend: bool = False


@dataclass(frozen=True)
class RecheckLater:
    """Gmail may have sent it: its hold ends now, but nobody sends it again until Gmail's search can show the mail
    (`search_lag` after the hold ended, see `claim_action`); then SENT is searched before sending."""

    error: str


@dataclass(frozen=True)
class Fail:
    """Failed, visible in the console with "Send again"."""

    error: str


@dataclass(frozen=True)
class ToRelay:
    """The relay only from now on, and at once. Gmail's limit error also blocks Gmail for the account until
    `block_gmail_until`; a revoked token also disconnects the account, with `disconnect` as its reason."""

    reason: str
    block_gmail_until: datetime | None = None
    disconnect: str | None = None


@dataclass(frozen=True)
class Reroute:
    """Not in SENT: choose the route afresh (the admin may have turned Gmail off meanwhile) and send."""


Step = SettleSent | RetryLater | RecheckLater | Fail | ToRelay | Reroute


def next_step(n: Notification, outcome: AttemptOutcome, rules: DeliveryRules, now: datetime) -> Step:
    """The decision table: one row per outcome. `n` is the record as claimed (its attempts include this one)."""
    last_try = n.attempts >= rules.max_attempts
    searches_exhausted = n.attempts > rules.max_attempts  # a SENT search runs one count above Gmail's attempts
    match outcome:
        case GmailSent(gmail_id):
            return SettleSent(gmail_message_id=gmail_id, count_gmail_sends=True, reason=n.route_reason)
        case LimitReached(retry_at):
            return ToRelay(LIMIT_REACHED, block_gmail_until=gmail_blocked_until(retry_at, rules, now))
        case RefusedUnseen(error):
            error = words.RATE_LIMITED % {"error": error}
            if last_try:
                return ToRelay(words.KEPT_FAILING % {"count": n.attempts, "error": error})
            return retry_or_fail(n, error, rules, now)
        case Unclear(error):
            return RecheckLater(words.UNCLEAR % {"error": error})
        case Revoked(error):
            return ToRelay(words.REVOKED % {"address": n.connection},
                           disconnect=f"Google access was revoked: {error}")
        case Rejected(error):
            return ToRelay(words.REJECTED % {"error": error})
        case FoundInSent(gmail_id):  # counted again if the lost sender had counted it: high, never low
            return SettleSent(gmail_message_id=gmail_id, count_gmail_sends=True, reason=FOUND_IN_SENT)
        case NotInSent():
            if searches_exhausted:
                return ToRelay(words.NOT_IN_SENT % {"count": n.attempts - 1})
            return Reroute()
        case SearchUnclear(error):
            if searches_exhausted:
                return ToRelay(words.SENT_UNSEARCHABLE % {"count": n.attempts - 1, "error": error})
            return RecheckLater(words.SEARCH_UNCLEAR % {"error": error})
        case SearchRefused(error):
            return ToRelay(words.SEARCH_REFUSED % {"error": error})
        case RelaySent():
            return SettleSent(reason=n.route_reason)
        case RelayPartlySent(refused):
            note = words.PARTLY_SENT % {"recipients": refused}
            return SettleSent(note=note, reason=note)
        case RelayTransient(error):
            return retry_or_fail(n, words.RELAY_TRANSIENT % {"error": error}, rules, now)
        case RelayRefused(error):
            return Fail(words.RELAY_REFUSED % {"error": error})
        case RelayUncertain(error):
            if n.resent_after_interruption >= MOST_RESENDS:
                return Fail(words.WITH_OUTCOME % {"error": error, "outcome": UNKNOWN_RELAY_OUTCOME})
            step = retry_or_fail(n, words.RESENT % {"error": error}, rules, now)
            return replace(step, resend=True) if isinstance(step, RetryLater) else step
        case NoRelay():
            return Fail(words.NO_RELAY % {"reason": n.route_reason})
        case AttachmentMissing(error):
            return Fail(words.ATTACHMENT_MISSING % {"error": error})
        case Unbuildable(error):
            return Fail(words.UNBUILDABLE % {"error": error})
        case _:
            assert_never(outcome)


def retry_or_fail(n: Notification, error: str, rules: DeliveryRules, now: datetime) -> RetryLater | Fail:
    """A transient failure: retry after the backoff, unless the budget (from the first failure) is spent."""
    since = n.first_failed_at or now
    if now - since >= rules.retry_budget:
        return Fail(words.GAVE_UP % {"error": error, "duration": _duration(now - since), "count": n.attempts})
    return RetryLater(error, at=now + backoff(n, rules))


def backoff(n: Notification, rules: DeliveryRules) -> timedelta:
    """`retry_first` doubling with each attempt on the route, up to `retry_ceiling`, jittered down by up to half.
    The jitter is drawn from the record's id and attempt, so the table stays pure and each row reproducible,
    while the records of one outage still spread out."""
    exponent = min(max(n.attempts - 1, 0), 30)
    full = min(rules.retry_first * (2 ** exponent), rules.retry_ceiling)
    digest = hashlib.sha256(f"{n.id}:{n.attempts}".encode()).digest()
    fraction = int.from_bytes(digest[:4], "big") / 2**32  # in [0, 1)
    return full * (1 - fraction / 2)


def _duration(span: timedelta) -> str:
    hours, rest = divmod(int(span.total_seconds()), 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"


def gmail_blocked_until(retry_at: datetime | None, rules: DeliveryRules, now: datetime) -> datetime:
    """Until Gmail's own "Retry after", kept between a minute and a day; `limit_block` when it named none."""
    if retry_at is None:
        return now + rules.limit_block
    return min(max(retry_at, now + SHORTEST_BLOCK), now + LONGEST_BLOCK)


def settle(rec: Notification, step: Step, *, rules: DeliveryRules, now: datetime, route: Route | None = None) -> None:
    """Perform `step` on the stored record, inside the transaction that checked this sender still holds it.
    A reroute takes the `route` chosen for it (from facts read outside the transaction)."""
    match step:
        case SettleSent():
            rec.mark_sent(now, gmail_message_id=step.gmail_message_id, note=step.note)
        case RetryLater(error, at, resend):
            rec.retry_later(error, at=at, now=now, resend=resend)
        case RecheckLater(error):
            rec.recheck_later(error, now=now)
        case Fail(error):
            rec.fail(error, now)
        case ToRelay(reason):
            rec.move_to_relay(reason, now=now, lease=rules.lease)
        case Reroute():
            if route is None:
                raise ValueError("a reroute needs the route chosen for it")
            rec.reroute(route.via, route.reason, lease_until=now + rules.lease)
        case _:
            assert_never(step)


def is_hand_over(step: Step) -> bool:
    """The record stays with this sender, on a new route, for another attempt in the same call."""
    return isinstance(step, ToRelay | Reroute)
