"""Can mail be sent to an address, and in which spelling? Decided once, on the way in, so a ticket never waits
for an acknowledgement that fails for good at send time.

A From that names one mailbox (mail/sender.py) can still be no address any server accepts: `ana@example.com.`
(a trailing dot, the DNS root, which SMTP forbids), `a..b@x.example`, a domain without a dot. What can be
repaired without guessing is: surrounding blanks, trailing dots after the domain, the domain's letter case (and
its IDNA form). Anything else is kept as written, with the reason, and the ticket is marked: no automatic mail
goes to it and an agent's reply to it is refused (docs/security.md). The syntax itself is email-validator's
(RFC 5321/5322/6531, no DNS look-up: this stays pure).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email


@dataclass(frozen=True)
class CheckedAddress:
    """`address` in the spelling mail can go to (as written when it cannot); `problem` says why not, else None."""

    address: str
    problem: str | None = None

    @property
    def usable(self) -> bool:
        return self.problem is None


@functools.lru_cache(maxsize=1024)
def checked_address(raw: str) -> CheckedAddress:
    """Pure, and asked several times per mail (the sender on the way in, the ticket, the acknowledgement): kept."""
    text = raw.strip()
    local, at, domain = text.rpartition("@")
    if not at:
        return CheckedAddress(text, "it has no @-sign")
    if not local:
        return CheckedAddress(text, "it has nothing before the @-sign")
    repaired = f"{local}@{domain.rstrip('.').lower()}"
    try:
        valid = validate_email(repaired, check_deliverability=False, test_environment=True,
                               allow_quoted_local=True, allow_smtputf8=True, allow_domain_literal=False,
                               allow_display_name=False)
    except EmailNotValidError as exc:
        return CheckedAddress(text, _reason(str(exc)))
    # An ASCII address stays ASCII (an xn-- domain is not turned into Unicode the outbound mail must encode).
    return CheckedAddress(valid.ascii_email if repaired.isascii() and valid.ascii_email else valid.normalized)


def _reason(message: str) -> str:
    """email-validator's sentence, as a clause: "An email address cannot …." → "an email address cannot …"."""
    message = message.strip().rstrip(".")
    return message[:1].lower() + message[1:] if message else "it is not a valid address"
