"""A stand-in for Google's OAuth 2.0 endpoints and the access-token check in front of the API.

google-auth's real refresh code posts here (form-encoded, grant_type=refresh_token), so the client's
whole token path runs in tests: refresh, 401 → refresh → retry, and `invalid_grant` when an account's grant
is revoked. Revoking an account (`revoke()`) also kills its outstanding access tokens (Gmail answers 401).

The connect flow: the consent page (consent.py) calls `issue_code()` with what the app asked for (client,
redirect_uri, PKCE challenge, scope, access_type/prompt); grant_type=authorization_code checks all of it
once and hands out tokens. `revoke_token()` is https://oauth2.googleapis.com/revoke: one refresh token and
the access tokens minted from it die; the account's other refresh tokens live on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from .clock import SimClock
from .config import GMAIL_SCOPE, SimConfig
from .errors import unauthenticated

CODE_TTL_S = 600.0
EXPIRED_OR_REVOKED = "Token has been expired or revoked."


@dataclass
class Account:
    address: str
    refresh_tokens: dict[str, float] = field(default_factory=dict)
    """refresh token → simulator time it was issued."""
    revoked: bool = False
    generation: int = 0
    testing_client: bool = False


@dataclass(frozen=True)
class AccessToken:
    address: str
    generation: int
    expires_at: float
    refresh_token: str | None = None
    """The refresh token it was minted from (revoking that one kills this too)."""


@dataclass(frozen=True)
class RefreshGrant:
    """What a refresh token was granted for: refresh tokens are bound to their OAuth client."""

    client_id: str
    scope: str


@dataclass
class AuthCode:
    """The consent screen's outcome, waiting for ONE exchange at the token endpoint."""

    address: str
    expires_at: float
    client_id: str | None = None
    """None: any client (the `issue_auth_code` seam)."""
    redirect_uri: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str = "plain"
    scope: str = GMAIL_SCOPE
    offline: bool = True
    force_consent: bool = True
    """prompt=consent: a new refresh token even if the account already granted this client offline access."""
    used: bool = False


class OAuthError(Exception):
    """An answer of the token endpoint other than 200."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.body = {"error": error, "error_description": description}


def pkce_challenge(verifier: str, method: str = "S256") -> str:
    """RFC 7636: S256 = BASE64URL(SHA256(verifier)) without padding; plain = the verifier itself."""
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class TokenService:
    def __init__(self, config: SimConfig, clock: SimClock, rng: random.Random) -> None:
        self._config = config
        self._clock = clock
        self._rng = rng
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = {}
        self._by_refresh: dict[str, str] = {}
        self._grants: dict[str, RefreshGrant] = {}
        self._revoked_refresh: set[str] = set()
        self._access: dict[str, AccessToken] = {}
        self._codes: dict[str, AuthCode] = {}

    def _secret(self, prefix: str, n: int = 40) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return prefix + "".join(self._rng.choice(alphabet) for _ in range(n))

    # ---- clients ----------------------------------------------------------------------------------------
    def clients(self) -> dict[str, str]:
        """client_id → client_secret: SimConfig's client plus `extra_clients`."""
        return {**self._config.extra_clients, self._config.client_id: self._config.client_secret}

    def has_client(self, client_id: str | None) -> bool:
        return bool(client_id) and client_id in self.clients()

    # ---- accounts ---------------------------------------------------------------------------------------
    def add_account(self, address: str, testing_client: bool = False) -> str:
        with self._lock:
            account = Account(address, testing_client=testing_client)
            self._accounts[address] = account
            return self._new_refresh_token(account, self._config.client_id, GMAIL_SCOPE)

    def _new_refresh_token(self, account: Account, client_id: str, scope: str) -> str:
        token = self._secret("1//sim-")
        account.refresh_tokens[token] = self._clock.now()
        self._by_refresh[token] = account.address
        self._grants[token] = RefreshGrant(client_id, scope)
        return token

    def _live_refresh_tokens(self, account: Account) -> list[str]:
        return [t for t in account.refresh_tokens if t not in self._revoked_refresh]

    def refresh_token(self, address: str) -> str:
        """The account's newest refresh token (not revoked, if it has one that is not)."""
        with self._lock:
            account = self._accounts[address]
            tokens = self._live_refresh_tokens(account) or list(account.refresh_tokens)
            return max(tokens, key=lambda t: account.refresh_tokens[t])

    def address_of_refresh(self, token: str) -> str | None:
        with self._lock:
            return self._by_refresh.get(token)

    def remove_account(self, address: str) -> None:
        with self._lock:
            account = self._accounts.pop(address, None)
            for token in account.refresh_tokens if account else ():
                self._by_refresh.pop(token, None)
                self._grants.pop(token, None)

    def revoke(self, address: str) -> None:
        """The user (or an admin) revoked the app's access: refresh fails, access tokens answer 401."""
        with self._lock:
            account = self._accounts[address]
            account.revoked = True
            account.generation += 1

    def restore(self, address: str, new_refresh_token: bool = False) -> str:
        """Re-grant access: the old refresh token works again, or (a reconnect) only a new one does."""
        with self._lock:
            account = self._accounts[address]
            account.revoked = False
            if new_refresh_token:
                for token in account.refresh_tokens:
                    self._by_refresh.pop(token, None)
                    self._grants.pop(token, None)
                account.refresh_tokens.clear()
                return self._new_refresh_token(account, self._config.client_id, GMAIL_SCOPE)
            return max(account.refresh_tokens, key=lambda t: account.refresh_tokens[t])

    def set_testing_client(self, address: str, testing: bool) -> None:
        with self._lock:
            self._accounts[address].testing_client = testing

    def issue_code(
        self,
        address: str,
        redirect_uri: str | None = None,
        *,
        client_id: str | None = None,
        code_challenge: str | None = None,
        code_challenge_method: str = "plain",
        scope: str = GMAIL_SCOPE,
        offline: bool = True,
        force_consent: bool = True,
    ) -> str:
        """A single-use authorization code for `address` (the consent screen's outcome). Without client_id
        and code_challenge (the old seam) any client may exchange it and no code_verifier is checked."""
        with self._lock:
            if address not in self._accounts:
                raise KeyError(address)
            now = self._clock.now()
            self._codes = {k: v for k, v in self._codes.items() if v.expires_at > now - CODE_TTL_S}
            code = self._secret("4/sim-", 30)
            self._codes[code] = AuthCode(
                address,
                now + CODE_TTL_S,
                client_id,
                redirect_uri,
                code_challenge,
                code_challenge_method,
                scope,
                offline,
                force_consent,
            )
            return code

    # ---- the API side -----------------------------------------------------------------------------------
    def authenticate(self, bearer: str | None) -> str:
        """The account an access token belongs to, or Google's 401."""
        if not bearer:
            raise unauthenticated()
        with self._lock:
            token = self._access.get(bearer)
            account = self._accounts.get(token.address) if token else None
            if (
                token is None
                or account is None
                or account.revoked
                or token.generation != account.generation
                or token.expires_at <= self._clock.now()
                or token.refresh_token in self._revoked_refresh
            ):
                raise unauthenticated()
            return token.address

    def mint_access_token(self, address: str) -> str:
        """An access token without a refresh round trip (benchmarks, raw HTTP tests)."""
        with self._lock:
            return self._issue_access(self._accounts[address])["access_token"]

    def _issue_access(self, account: Account, refresh_token: str | None = None) -> dict[str, Any]:
        now = self._clock.now()
        if len(self._access) > 10_000:
            self._access = {k: v for k, v in self._access.items() if v.expires_at > now}
        token = self._secret("ya29.sim-", 60)
        ttl = self._config.access_token_ttl_s
        self._access[token] = AccessToken(account.address, account.generation, now + ttl, refresh_token)
        return {"access_token": token, "expires_in": ttl, "scope": "", "token_type": "Bearer"}

    # ---- the revocation endpoint ------------------------------------------------------------------------
    def revoke_token(self, token: str) -> None:
        """POST /revoke: a refresh token (and every access token minted from it), or an access token (and
        the refresh token it came from, as Google does). Unknown or already revoked: invalid_token."""
        with self._lock:
            if token in self._by_refresh and token not in self._revoked_refresh:
                self._revoked_refresh.add(token)
                return
            access = self._access.pop(token, None)
            if access is None or access.expires_at <= self._clock.now():
                raise OAuthError(400, "invalid_token", "Token expired or revoked")
            if access.refresh_token is not None:
                self._revoked_refresh.add(access.refresh_token)

    # ---- the token endpoint -----------------------------------------------------------------------------
    def token_endpoint(self, form: dict[str, str]) -> dict[str, Any]:
        """POST /token. Returns the JSON answer or raises OAuthError (Google's error JSON)."""
        clients = self.clients()
        client_id = form.get("client_id", "")
        if client_id not in clients:
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
        if not hmac.compare_digest(form.get("client_secret", ""), clients[client_id]):
            raise OAuthError(401, "invalid_client", "Unauthorized")
        grant_type = form.get("grant_type", "")
        handler = {
            "refresh_token": self._grant_refresh_token,
            "authorization_code": self._grant_authorization_code,
        }.get(grant_type)
        if handler is None:
            raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        with self._lock:
            return handler(form)

    def _grant_refresh_token(self, form: dict[str, str]) -> dict[str, Any]:
        token = form.get("refresh_token")
        if not token:
            raise OAuthError(400, "invalid_request", "Missing required parameter: refresh_token")
        address = self._by_refresh.get(token)
        account = self._accounts.get(address) if address else None
        if account is None:
            raise OAuthError(400, "invalid_grant", "Bad Request")
        grant = self._grants.get(token, RefreshGrant(self._config.client_id, GMAIL_SCOPE))
        if grant.client_id != form.get("client_id"):
            raise OAuthError(400, "unauthorized_client", "Unauthorized")
        issued = account.refresh_tokens.get(token, 0.0)
        remaining = issued + self._config.refresh_token_ttl_testing_s - self._clock.now()
        if account.revoked or token in self._revoked_refresh or (account.testing_client and remaining <= 0):
            raise OAuthError(400, "invalid_grant", EXPIRED_OR_REVOKED)
        answer = self._issue_access(account, token)
        answer["scope"] = form.get("scope") or grant.scope
        if account.testing_client:
            answer["refresh_token_expires_in"] = int(remaining)
        return answer

    def _grant_authorization_code(self, form: dict[str, str]) -> dict[str, Any]:
        code = self._codes.get(form.get("code", ""))
        if code is None:
            raise OAuthError(400, "invalid_grant", "Malformed auth code.")
        # Any attempt uses the code up: a failed exchange cannot be retried (nor a verifier guessed).
        used, code.used = code.used, True
        if used or code.expires_at <= self._clock.now():
            raise OAuthError(400, "invalid_grant", "Bad Request")
        if code.client_id is not None and form.get("client_id") != code.client_id:
            raise OAuthError(400, "invalid_grant", "Bad Request")
        if code.redirect_uri is not None and form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
        if code.code_challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier:
                raise OAuthError(400, "invalid_grant", "Missing code verifier.")
            if not hmac.compare_digest(pkce_challenge(verifier, code.code_challenge_method), code.code_challenge):
                raise OAuthError(400, "invalid_grant", "Invalid code verifier.")
        account = self._accounts.get(code.address)
        if account is None:
            raise OAuthError(400, "invalid_grant", "Bad Request")
        # Google returns a refresh token only for offline access, and on a repeat grant only with
        # prompt=consent; each one it returns is new, and the older ones keep working.
        granted = not account.revoked and bool(self._live_refresh_tokens(account))
        if account.revoked:
            # The user had removed the app: consenting again does not bring the old refresh tokens back.
            self._revoked_refresh.update(account.refresh_tokens)
            account.revoked = False
        refresh = None
        if code.offline and (code.force_consent or not granted):
            refresh = self._new_refresh_token(account, form.get("client_id", ""), code.scope)
        answer = self._issue_access(account, refresh)
        answer["scope"] = code.scope
        if refresh is not None:
            answer["refresh_token"] = refresh
            if account.testing_client:
                answer["refresh_token_expires_in"] = int(self._config.refresh_token_ttl_testing_s)
        return answer
