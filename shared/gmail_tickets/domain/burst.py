"""Burst detection: a sender writing faster than a person does is a machine or a loop, so its mail is suspended;
so is a domain whose senders together write faster than a domain's people do (rotating From addresses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gmail_tickets.domain.said import N_

# Kept on suspended mail in English; the console says them in the reader's language (domain/said.py `recognise`).
_SENDER = {True: N_("More than %(count)s mail from this sender within %(window)s."),
           False: N_("More than %(count)s mails from this sender within %(window)s.")}
_DOMAIN = {True: N_("More than %(count)s mail from this sender's domain within %(window)s."),
           False: N_("More than %(count)s mails from this sender's domain within %(window)s.")}
_UNITS = {  # (one, many) per unit
    "hour": (N_("%(count)s hour"), N_("%(count)s hours")),
    "minute": (N_("%(count)s minute"), N_("%(count)s minutes")),
    "second": (N_("%(count)s second"), N_("%(count)s seconds")),
}


@dataclass(frozen=True)
class BurstPolicy:
    """A sender writing more than `threshold` mails within `window` is a machine (or a loop): suspend, don't ticket.

    The caller counts the mails it already recorded from the same sender (lower-cased From) received at or after
    `window_start(now)`, excluding the mail at hand, and applies this to mail `classify` called NORMAL (everything
    else is not ticketed anyway). With the defaults the 21st mail in 10 minutes is the first one suspended.
    """

    threshold: int = 20
    window: timedelta = timedelta(minutes=10)
    domain_threshold: int = 100
    """The same over every sender of one organizational domain: rotating addresses (a1@, a2@ … of one domain)
    each stay under `threshold`, together they do not. Far higher, since many people share a domain."""

    def __post_init__(self) -> None:
        if self.threshold < 1 or self.domain_threshold < 1:
            raise ValueError("burst threshold must be at least 1")
        if self.window <= timedelta(0):
            raise ValueError("burst window must be positive")

    def window_start(self, now: datetime) -> datetime:
        """The earliest receive time that still counts. `now` must be timezone-aware: stored times are aware UTC,
        and a naive now would silently shift the window by the local offset."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        return now - self.window

    def is_burst(self, recent_count: int) -> bool:
        """`recent_count` mails already in the window, so this one is number recent_count + 1."""
        return recent_count + 1 > self.threshold

    def is_domain_burst(self, recent_domain_count: int) -> bool:
        """`recent_domain_count` mails from the sender's organizational domain already in the window."""
        return recent_domain_count + 1 > self.domain_threshold

    @property
    def reason(self) -> str:
        """What to show admins on a mail suspended by this policy."""
        return _SENDER[self.threshold == 1] % {"count": self.threshold, "window": _duration(self.window)}

    @property
    def domain_reason(self) -> str:
        return _DOMAIN[self.domain_threshold == 1] % {"count": self.domain_threshold, "window": _duration(self.window)}


def _duration(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    count, unit = ((seconds // 3600, "hour") if seconds % 3600 == 0 else (seconds // 60, "minute")
                   if seconds % 60 == 0 else (seconds, "second"))
    one, many = _UNITS[unit]
    return (one if count == 1 else many) % {"count": count}
