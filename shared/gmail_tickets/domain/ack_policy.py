"""Who may receive our automatic mail (acknowledgements), so the help desk never relays spam.

An acknowledgement goes out from the company's own support account and quotes the sender's subject: whoever can
choose its recipient can make us mail anyone. So:

- it goes to the From sender only, never to Reply-To (which anyone can write);
- only when Google vouches for that sender (`SenderAuth.authenticated`), or when the sender's domain publishes no
  DMARC policy (then nobody can tell, and the From is the best we have); never when the mail looks spoofed;
- at most one per recipient per `min_interval`, and at most `account_ceiling` per support account per hour, so
  even authenticated senders (an attacker's own domain) cannot turn us into a mail cannon.

Pure: the caller counts the recent automatic mail (index-served store counts) and records the verdict — a queued
acknowledgement, or a skipped one that says why (never a silent drop).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gmail_tickets.domain.said import N_
from gmail_tickets.domain.sender_auth import SenderAuth

ACCOUNT_WINDOW = timedelta(hours=1)
# Why an acknowledgement was skipped, kept on its record in English; the console says it in the reader's language.
_SPOOF = N_("possible spoof: the sender's domain publishes DMARC and this mail failed it")
_UNAUTHENTICATED = N_("sender not authenticated, and its domain publishes DMARC")
_RECENT = N_("an automatic mail already went to this address within %(interval)s")
_CEILING = N_("this account's ceiling of %(count)s automatic mails per hour is reached")
_SECONDS = N_("%(count)s seconds")
SKIPPED = N_("Acknowledgement not sent: %(reason)s.")
NO_FROM = N_("the mail has no usable From address")
INVALID_ADDRESS = N_("the requester's address %(address)s is invalid (%(problem)s)")
TRIGGER_OFF = N_("the brand has the request-received trigger off")
_MINUTES = (N_("%(count)s minute"), N_("%(count)s minutes"))


@dataclass(frozen=True)
class RecentAutomaticMail:
    """Automatic mail already recorded: to this recipient within the interval, from this account in the hour."""

    to_recipient: int
    from_account: int


@dataclass(frozen=True)
class AckPolicy:
    min_interval: timedelta = timedelta(minutes=10)
    account_ceiling: int = 200  # per support account per hour

    def __post_init__(self) -> None:
        if self.min_interval < timedelta(0):
            raise ValueError("the acknowledgement interval cannot be negative")
        if self.account_ceiling < 0:
            raise ValueError("the acknowledgement ceiling cannot be negative")

    def recipient_since(self, now: datetime) -> datetime:
        return now - self.min_interval

    def account_since(self, now: datetime) -> datetime:
        return now - ACCOUNT_WINDOW

    def refusal(self, auth: SenderAuth | None) -> str | None:
        """Why the sender may not get automatic mail at all, or None. No stamp at all (auth None) is handled as
        an unverified sender of a domain without DMARC: the From is used."""
        if auth is None:
            return None
        if auth.possible_spoof:
            return _SPOOF
        if auth.authenticated or not auth.dmarc_published:
            return None
        return _UNAUTHENTICATED

    def limited(self, recent: RecentAutomaticMail) -> str | None:
        """Why the rate limits hold this one back, or None."""
        if self.min_interval > timedelta(0) and recent.to_recipient > 0:
            return _RECENT % {"interval": _minutes(self.min_interval)}
        if recent.from_account >= self.account_ceiling:
            return _CEILING % {"count": self.account_ceiling}
        return None


def _minutes(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    if seconds % 60:
        return _SECONDS % {"count": seconds}
    minutes = seconds // 60
    return _MINUTES[minutes != 1] % {"count": minutes}
