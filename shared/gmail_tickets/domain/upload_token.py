"""An API upload's token (Zendesk's shape: upload a file, then name its token on a comment): the kept file's blob
key, name, type and size, the agent who uploaded it and when the token stops working, signed with the desk's key.
Nothing is stored for it — any instance can check it — and a token cannot be forged or altered, nor used by
another agent."""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

PREFIX = "gtu_"
PURPOSE = "api-upload"
MAX_TOKEN_CHARS = 2000  # a 180-character name, escaped, fits with room to spare

Sign = Callable[[str, bytes], bytes]


@dataclass(frozen=True)
class UploadRef:
    blob_key: str
    filename: str
    content_type: str
    size: int
    agent: str  # lower-cased email: only this agent may use it
    expires: int  # Unix seconds

    def expired(self, now: datetime) -> bool:
        return now.timestamp() >= self.expires

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires, UTC)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(ref: UploadRef, sign: Sign) -> str:
    payload = json.dumps(asdict(ref), separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return f"{PREFIX}{_b64(payload)}.{_b64(sign(PURPOSE, payload))}"


def unseal(token: str, sign: Sign) -> UploadRef | None:
    """The upload a token names, when it is one we signed; None for anything else (never raises)."""
    if not token.startswith(PREFIX) or len(token) > MAX_TOKEN_CHARS:
        return None
    body, dot, mac = token[len(PREFIX):].partition(".")
    try:
        payload, signature = _unb64(body), _unb64(mac)
        if not dot or not hmac.compare_digest(sign(PURPOSE, payload), signature):
            return None
        fields = json.loads(payload)
        return UploadRef(**fields)
    except (ValueError, TypeError):
        return None
