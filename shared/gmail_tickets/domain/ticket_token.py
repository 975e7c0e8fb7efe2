"""Our own identifiers in outbound mail, verifiable when a reply comes back (threading rule 3, and own-loop detection).

Every mail we send carries a Message-ID of the form ``t<ticket>.<nonce>.<sig>@<domain>``, where ``sig`` is a
truncated HMAC-SHA256 over the ticket id and nonce. A reply names it in In-Reply-To/References even when the thread
was split or the stored id is gone, and because it is signed nobody can forge a reply onto someone else's ticket by
guessing ids. The subject token ``[#123]`` is the weaker fallback for clients that drop those headers.

Identifiers are compared case-insensitively throughout (we only emit lower case), so a gateway that re-cases a
Message-ID does not break threading.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

DEFAULT_DOMAIN = "tickets.gmail-tickets.invalid"
"""`.invalid` (RFC 2606) can never be a real domain, so our ids can never collide with anyone else's."""

MIN_KEY_BYTES = 16
SIG_BYTES = 10  # 80 bits of HMAC: 16 base32 characters, no padding
MAX_TICKET_DIGITS = 18  # fits in a signed 64-bit int; longer is garbage, not a ticket
MAX_MESSAGE_ID_CHARS = 256  # ours are ~70; anything much longer is not worth hashing

_MAC_CONTEXT = b"gmail-tickets/message-id/v1\x00"  # domain separation: the key may sign other things later
_TICKET = rf"t([1-9][0-9]{{0,{MAX_TICKET_DIGITS - 1}}})"
_NONCE = r"[a-z0-9_-]{1,64}"
_LOCAL_PART = re.compile(rf"{_TICKET}\.({_NONCE})\.([a-z2-7]{{16}})")
_NONCE_RE = re.compile(_NONCE)
_DOMAIN_RE = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
_SUBJECT_TOKEN = re.compile(rf"\[#\s*([1-9][0-9]{{0,{MAX_TICKET_DIGITS - 1}}})\s*\]")


def generate_key() -> bytes:
    """A fresh 32-byte signing key, for first use. Store it as a secret: whoever holds it can thread onto tickets."""
    return secrets.token_bytes(32)


def subject_token(ticket_id: int) -> str:
    """The short subject marker, e.g. ``[#123]``."""
    return f"[#{_checked_ticket_id(ticket_id)}]"


def ticket_from_subject(subject: str) -> int | None:
    """The ticket id of the LAST ``[#n]`` token in a subject, or None.

    The last one, because we append ours at the end (see `tag_subject`) and the customer's own words, which come
    first, may contain look-alikes (``"Order [#45] broken [#123]"`` is ticket 123). Spaces inside the brackets are
    tolerated (``[# 123 ]``) since some clients and people re-type them; ``n`` must be a positive integer without
    leading zeros.

    A subject token is NOT proof: anyone can type ``[#123]``. The caller must use it only when the sender is already
    the ticket's requester or a follower. Subject alone never threads.
    """
    if not isinstance(subject, str):
        return None
    matches = _SUBJECT_TOKEN.findall(subject)
    return int(matches[-1]) if matches else None


def tag_subject(subject: str, ticket_id: int) -> str:
    """The subject with our token appended, unless it already ends up naming this ticket (no ``[#1] [#1]`` pile-up
    over a long thread)."""
    if ticket_from_subject(subject) == ticket_id:
        return subject
    token = subject_token(ticket_id)
    return f"{subject.rstrip()} {token}" if subject.strip() else token


class TicketTokens:
    """Signs and verifies the ticket id we embed in outbound Message-IDs.

    The domain is part of the id but not of the signature: ids are only accepted under the configured domain, which
    keeps the check cheap and the format readable.
    """

    __slots__ = ("_key", "domain")

    def __init__(self, key: bytes, domain: str = DEFAULT_DOMAIN) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the signing key must be at least {MIN_KEY_BYTES} bytes (see generate_key())")
        normalized = domain.strip().lower() if isinstance(domain, str) else ""
        if not _DOMAIN_RE.fullmatch(normalized):
            raise ValueError(f"not a usable Message-ID domain: {domain!r}")
        self._key = bytes(key)
        self.domain = normalized

    def __repr__(self) -> str:  # never show the key, e.g. in logs or tracebacks
        return f"TicketTokens(domain={self.domain!r})"

    def message_id(self, ticket_id: int, nonce: str | None = None) -> str:
        """A new RFC 5322 Message-ID (without angle brackets) that names `ticket_id`.

        The nonce makes each id unique, as RFC 5322 requires; it is random unless given (tests, idempotent resends).
        A given nonce must be 1-64 characters of ``[A-Za-z0-9_-]`` and is lower-cased.
        """
        ticket = _checked_ticket_id(ticket_id)
        if nonce is None:
            nonce = secrets.token_hex(8)
        elif not isinstance(nonce, str) or not _NONCE_RE.fullmatch(nonce.lower()):
            raise ValueError(f"nonce must be 1-64 characters of [A-Za-z0-9_-], got {nonce!r}")
        nonce = nonce.lower()
        return f"t{ticket}.{nonce}.{self._sign(ticket, nonce)}@{self.domain}"

    def ticket_from_message_id(self, message_id: str) -> int | None:
        """The ticket id when `message_id` is one of ours and its signature verifies, else None.

        Tolerates surrounding whitespace and angle brackets and any letter case; never raises, whatever the input.
        """
        if not isinstance(message_id, str) or len(message_id) > MAX_MESSAGE_ID_CHARS:
            return None
        candidate = message_id.strip()
        if candidate.startswith("<") and candidate.endswith(">"):
            candidate = candidate[1:-1].strip()
        local, at, domain = candidate.lower().rpartition("@")
        if not at or domain != self.domain:
            return None
        match = _LOCAL_PART.fullmatch(local)
        if match is None:
            return None
        ticket_text, nonce, sig = match.groups()
        ticket = int(ticket_text)
        if not hmac.compare_digest(self._sign(ticket, nonce), sig):
            return None
        return ticket

    def is_ours(self, message_id: str) -> bool:
        """True when `message_id` is a Message-ID we minted with this key."""
        return self.ticket_from_message_id(message_id) is not None

    def sign(self, purpose: str, data: bytes) -> bytes:
        """A 128-bit MAC of `data` for another `purpose` (an API upload token): its own context, so no signature
        made for one purpose is valid for another, nor for a Message-ID."""
        context = f"gmail-tickets/{purpose}/v1".encode("ascii") + b"\x00"
        return hmac.new(self._key, context + data, hashlib.sha256).digest()[:16]

    def _sign(self, ticket_id: int, nonce: str) -> str:
        message = _MAC_CONTEXT + f"{ticket_id}.{nonce}".encode("ascii")
        digest = hmac.new(self._key, message, hashlib.sha256).digest()[:SIG_BYTES]
        return base64.b32encode(digest).decode("ascii").lower()


def _checked_ticket_id(ticket_id: int) -> int:
    """Ticket ids are positive ints that fit what the parser accepts; refuse anything else loudly at send time."""
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int):
        raise TypeError(f"ticket id must be an int, got {type(ticket_id).__name__}")
    if not 0 < ticket_id < 10**MAX_TICKET_DIGITS:
        raise ValueError(f"ticket id must be a positive integer of at most {MAX_TICKET_DIGITS} digits")
    return ticket_id
