"""Names of the secrets we keep. Secret Manager ids allow only letters, digits, '-' and '_'."""

from __future__ import annotations

import hashlib
import re

OAUTH_CLIENT_SECRET = "oauth-client-secret"
RELAY_PASSWORD = "relay-password"
TICKET_TOKEN_KEY = "ticket-token-key"  # HMAC key of the ticket ids in our own Message-IDs
OAUTH_STATE_KEY = "oauth-state-key"  # HMAC key that signs the `state` of OAuth connect flows
DOMAIN_VERIFICATION_KEY = "domain-verification-key"  # HMAC key of the relay domains' verification codes


def refresh_token(address: str) -> str:
    """One secret per connected mailbox; the hash keeps distinct addresses distinct after sanitising."""
    slug = re.sub(r"[^a-z0-9]+", "-", address.lower()).strip("-")[:60]
    digest = hashlib.sha256(address.lower().encode()).hexdigest()[:8]
    return f"gmail-token-{slug}-{digest}"
