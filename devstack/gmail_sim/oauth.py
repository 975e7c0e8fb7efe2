"""A stand-in for Google's OAuth token endpoint and the access-token check in front of the API.

google-auth's real refresh code posts here (form-encoded, grant_type=refresh_token), so the client's
whole token path runs in tests: refresh, 401 → refresh → retry, and `invalid_grant` when an account's grant
is revoked. Revoking also kills the account's outstanding access tokens (Gmail answers 401 for them).

grant_type=authorization_code is the seam for a consent-flow stand-in: `issue_code()` hands out a
single-use code, the endpoint exchanges it for a refresh + access token. A consent page
(`/o/oauth2/auth` redirecting with ?code=) is not built yet; it would call `issue_code()`.
"""

from __future__ import annotations

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


class OAuthError(Exception):
    """An answer of the token endpoint other than 200."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.body = {"error": error, "error_description": description}


class TokenService:
    def __init__(self, config: SimConfig, clock: SimClock, rng: random.Random) -> None:
        self._config = config
        self._clock = clock
        self._rng = rng
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = {}
        self._by_refresh: dict[str, str] = {}
        self._access: dict[str, AccessToken] = {}
        self._codes: dict[str, tuple[str, str | None, float]] = {}

    def _secret(self, prefix: str, n: int = 40) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return prefix + "".join(self._rng.choice(alphabet) for _ in range(n))

    # ---- accounts ---------------------------------------------------------------------------------------
    def add_account(self, address: str, testing_client: bool = False) -> str:
        with self._lock:
            account = Account(address, testing_client=testing_client)
            self._accounts[address] = account
            return self._new_refresh_token(account)

    def _new_refresh_token(self, account: Account) -> str:
        token = self._secret("1//sim-")
        account.refresh_tokens[token] = self._clock.now()
        self._by_refresh[token] = account.address
        return token

    def refresh_token(self, address: str) -> str:
        """The account's newest refresh token."""
        with self._lock:
            tokens = self._accounts[address].refresh_tokens
            return max(tokens, key=lambda t: tokens[t])

    def address_of_refresh(self, token: str) -> str | None:
        with self._lock:
            return self._by_refresh.get(token)

    def remove_account(self, address: str) -> None:
        with self._lock:
            account = self._accounts.pop(address, None)
            for token in account.refresh_tokens if account else ():
                self._by_refresh.pop(token, None)

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
                account.refresh_tokens.clear()
                return self._new_refresh_token(account)
            return max(account.refresh_tokens, key=lambda t: account.refresh_tokens[t])

    def set_testing_client(self, address: str, testing: bool) -> None:
        with self._lock:
            self._accounts[address].testing_client = testing

    def issue_code(self, address: str, redirect_uri: str | None = None) -> str:
        """A single-use authorization code for `address` (the consent screen's outcome)."""
        with self._lock:
            if address not in self._accounts:
                raise KeyError(address)
            code = self._secret("4/sim-", 30)
            self._codes[code] = (address, redirect_uri, self._clock.now() + CODE_TTL_S)
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
            ):
                raise unauthenticated()
            return token.address

    def mint_access_token(self, address: str) -> str:
        """An access token without a refresh round trip (benchmarks, raw HTTP tests)."""
        with self._lock:
            return self._issue_access(self._accounts[address])["access_token"]

    def _issue_access(self, account: Account) -> dict[str, Any]:
        now = self._clock.now()
        if len(self._access) > 10_000:
            self._access = {k: v for k, v in self._access.items() if v.expires_at > now}
        token = self._secret("ya29.sim-", 60)
        ttl = self._config.access_token_ttl_s
        self._access[token] = AccessToken(account.address, account.generation, now + ttl)
        return {"access_token": token, "expires_in": ttl, "scope": "", "token_type": "Bearer"}

    # ---- the token endpoint -----------------------------------------------------------------------------
    def token_endpoint(self, form: dict[str, str]) -> dict[str, Any]:
        """POST /token. Returns the JSON answer or raises OAuthError (Google's error JSON)."""
        if form.get("client_id") != self._config.client_id:
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
        if form.get("client_secret") != self._config.client_secret:
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
        issued = account.refresh_tokens.get(token, 0.0)
        remaining = issued + self._config.refresh_token_ttl_testing_s - self._clock.now()
        if account.revoked or (account.testing_client and remaining <= 0):
            raise OAuthError(400, "invalid_grant", EXPIRED_OR_REVOKED)
        answer = self._issue_access(account)
        answer["scope"] = form.get("scope") or GMAIL_SCOPE
        if account.testing_client:
            answer["refresh_token_expires_in"] = int(remaining)
        return answer

    def _grant_authorization_code(self, form: dict[str, str]) -> dict[str, Any]:
        entry = self._codes.pop(form.get("code", ""), None)
        if entry is None or entry[2] <= self._clock.now():
            raise OAuthError(400, "invalid_grant", "Malformed auth code.")
        address, redirect_uri, _ = entry
        if redirect_uri is not None and form.get("redirect_uri") != redirect_uri:
            raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
        account = self._accounts[address]
        account.revoked = False
        answer = self._issue_access(account)
        answer["refresh_token"] = self._new_refresh_token(account)
        answer["scope"] = GMAIL_SCOPE
        return answer
