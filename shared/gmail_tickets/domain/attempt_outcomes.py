"""What one delivery attempt can report, as plain values: the adapters' answers (Gmail's messages.send, a search
of its SENT folder, the relay) mapped by services/delivery_attempts.py, decided on by domain/delivery.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class GmailSent:
    gmail_id: str


@dataclass(frozen=True)
class LimitReached:
    """Gmail's sending-limit error; `retry_at` is the time its message named, if any."""

    retry_at: datetime | None


@dataclass(frozen=True)
class RefusedUnseen:
    """Rate limited: Gmail refused it before taking it, so nothing went out."""

    error: str


@dataclass(frozen=True)
class Unclear:
    """A 5xx or a dropped connection: Gmail may have sent it."""

    error: str


@dataclass(frozen=True)
class Revoked:
    """The account's token no longer works."""

    error: str


@dataclass(frozen=True)
class Rejected:
    """Any other refusal from Gmail: retrying will not help."""

    error: str


@dataclass(frozen=True)
class FoundInSent:
    gmail_id: str


@dataclass(frozen=True)
class NotInSent:
    pass


@dataclass(frozen=True)
class SearchUnclear:
    """SENT could not be searched for now (transient)."""

    error: str


@dataclass(frozen=True)
class SearchRefused:
    """SENT could not be searched for good (refused, revoked)."""

    error: str


@dataclass(frozen=True)
class RelaySent:
    pass


@dataclass(frozen=True)
class RelayPartlySent:
    """The relay took it for some recipients and refused the others: the accepted ones have their copy."""

    refused: str


@dataclass(frozen=True)
class RelayTransient:
    error: str


@dataclass(frozen=True)
class RelayRefused:
    """A 5xx: the relay refused it for good."""

    error: str


@dataclass(frozen=True)
class RelayUncertain:
    """The relay had the whole message but never answered: it may or may not have taken it."""

    error: str


@dataclass(frozen=True)
class NoRelay:
    pass


@dataclass(frozen=True)
class AttachmentMissing:
    error: str


@dataclass(frozen=True)
class Unbuildable:
    """The mail cannot be built (an unusable address): no route will take it."""

    error: str


Outcome = (GmailSent | LimitReached | RefusedUnseen | Unclear | Revoked | Rejected
           | FoundInSent | NotInSent | SearchUnclear | SearchRefused
           | RelaySent | RelayPartlySent | RelayTransient | RelayRefused | RelayUncertain | NoRelay
           | AttachmentMissing | Unbuildable)
