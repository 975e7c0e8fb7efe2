"""What one delivery attempt can report, as plain values: the adapters' answers (Gmail's messages.send, a search
of its SENT folder, the relay) mapped by services/delivery_attempts.py, decided on by domain/delivery.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class _Answer:
    """An answer that is told by the words it came with (the adapter's error), kept for the admin to read."""

    error: str


# --------------------------------------------------------------------------- Gmail's messages.send


@dataclass(frozen=True)
class GmailSent:
    gmail_id: str


@dataclass(frozen=True)
class LimitReached:
    """Gmail's sending-limit error; `retry_at` is the time its message named, if any."""

    retry_at: datetime | None


class RefusedUnseen(_Answer):
    """Rate limited: Gmail refused it before taking it, so nothing went out."""


class Unclear(_Answer):
    """A 5xx or a dropped connection: Gmail may have sent it."""


class Revoked(_Answer):
    """The account's token no longer works."""


class Rejected(_Answer):
    """Any other refusal from Gmail: retrying will not help."""


# --------------------------------------------------------------------------- the search of SENT after an interruption


@dataclass(frozen=True)
class FoundInSent:
    gmail_id: str


@dataclass(frozen=True)
class NotInSent:
    """Our Message-ID is not in the account's SENT folder: the mail did not go out."""


class SearchUnclear(_Answer):
    """SENT could not be searched for now (transient)."""


class SearchRefused(_Answer):
    """SENT could not be searched for good (refused, revoked)."""


# --------------------------------------------------------------------------- the relay


@dataclass(frozen=True)
class RelaySent:
    """The relay took it for every recipient."""


class RelayPartlySent(_Answer):
    """The relay took it for some recipients and refused the others (named in `error`): the accepted ones have
    their copy, so it must not be sent again."""


class RelayTransient(_Answer):
    """Worth trying again later (a 4xx, the relay unreachable)."""


class RelayRefused(_Answer):
    """A 5xx: the relay refused it for good."""


class RelayUncertain(_Answer):
    """The relay had the whole message but never answered: it may or may not have taken it."""


@dataclass(frozen=True)
class NoRelay:
    """No relay is configured."""


# --------------------------------------------------------------------------- either route


class AttachmentMissing(_Answer):
    """A file the mail carries is missing from the blob store."""


class Unbuildable(_Answer):
    """The mail cannot be built (an unusable address): no route will take it."""


AttemptOutcome = (GmailSent | LimitReached | RefusedUnseen | Unclear | Revoked | Rejected
           | FoundInSent | NotInSent | SearchUnclear | SearchRefused
           | RelaySent | RelayPartlySent | RelayTransient | RelayRefused | RelayUncertain | NoRelay
           | AttachmentMissing | Unbuildable)
