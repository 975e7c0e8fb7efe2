"""Cloud sign-in: the console sits behind Identity-Aware Proxy, and each request names its person in IAP's JWT.

Why IAP rather than our own Google sign-in (OIDC): IAP does the Google sign-in, the session and the org's access
policy (2-step, context-aware access) before a request ever reaches the function, so the console has no OAuth login
flow, no login client secret and no sign-in page to get wrong. The function still must not take IAP on trust:
anything that reaches it another way (a leaked *.run.app URL, a misconfigured ingress) would come with no proof.
So every request must carry IAP's signed header `x-goog-iap-jwt-assertion`, and we verify it ourselves: ES256
signature by one of IAP's published keys, issuer, our audience and expiry. Anything less and the request is not
signed in (the console answers 401). A verified person is an admin when the admin settings name them (their email,
or their Workspace domain from `hd`); anyone else is whoever the agent record of that email says, and without one
sees "ask an admin to invite you" (web/auth.py, 403).

Audience: "/projects/PROJECT_NUMBER/global/backendServices/SERVICE_ID" behind a load balancer, or
"/projects/PROJECT_NUMBER/locations/REGION/services/SERVICE" with IAP on Cloud Run directly.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from flask import Request
from google.auth import exceptions as auth_exceptions
from google.auth import jwt

from gmail_tickets.web.auth import Identity

log = logging.getLogger(__name__)

ASSERTION_HEADER = "x-goog-iap-jwt-assertion"
IAP_ISSUER = "https://cloud.google.com/iap"
IAP_KEYS_URL = "https://www.gstatic.com/iap/verify/public_key"  # {key id: PEM public key}
IAP_ALGORITHM = "ES256"

_TOKEN_ERRORS = (ValueError, TypeError, KeyError, auth_exceptions.GoogleAuthError)


def fetch_keys(url: str = IAP_KEYS_URL, timeout: float = 5.0) -> dict[str, str]:
    """IAP's current public keys, {key id: PEM}."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # a fixed https URL
        keys = json.load(response)
    return _checked_keys(keys)


def load_keys(path: str | Path) -> dict[str, str]:
    """Keys from a JSON file shaped like IAP's ({key id: PEM}): how tests hand in their own signing key."""
    return _checked_keys(json.loads(Path(path).read_text()))


def _checked_keys(keys: Any) -> dict[str, str]:
    if not isinstance(keys, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in keys.items()):
        raise ValueError("IAP public keys must be a JSON object of key id to PEM")
    return keys


class IapKeys:
    """IAP's public keys, cached. They rotate, so an unknown key id triggers a refetch, but at most once per
    `min_refetch` seconds: forged key ids must not turn every request into a call to gstatic. A failed refetch
    keeps the keys we had."""

    def __init__(self, fetch: Callable[[], Mapping[str, str]] = fetch_keys, *, max_age: float = 3600.0,
                 min_refetch: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._max_age = max_age
        self._min_refetch = min_refetch
        self._clock = clock
        self._keys: dict[str, str] = {}
        self._fetched_at: float | None = None
        self._tried_at: float | None = None
        self._lock = threading.Lock()

    def get(self, kid: str) -> str | None:
        with self._lock:
            now = self._clock()
            stale = self._fetched_at is None or now - self._fetched_at >= self._max_age
            may_try = self._tried_at is None or now - self._tried_at >= self._min_refetch
            if (kid not in self._keys or stale) and may_try:
                self._refresh(now)
            return self._keys.get(kid)

    def _refresh(self, now: float) -> None:
        self._tried_at = now
        try:
            self._keys = dict(self._fetch())
        except (OSError, ValueError) as exc:
            log.warning("could not fetch IAP public keys", extra={"error": repr(exc)})
            return
        self._fetched_at = now


class IapAuth:
    """The person is whoever IAP's signed assertion names; an admin by configuration when listed in
    `allowed_emails`, or a Google Workspace account whose `hd` claim is `allowed_domain`. The domain is taken
    from `hd` only, never from the email's spelling: a personal Google account can be registered on any address.
    `certs` ({key id: PEM}) replaces IAP's published keys (tests)."""

    uses_form = False

    def __init__(self, audience: str, *, allowed_emails: Iterable[str] = (), allowed_domain: str | None = None,
                 certs: Mapping[str, str] | None = None, keys: IapKeys | None = None,
                 clock_skew_seconds: int = 30) -> None:
        if not audience:
            raise ValueError("IAP audience is required: without it any IAP-protected app's assertion would do")
        self._audience = audience
        self._emails = frozenset(e.strip().lower() for e in allowed_emails if e.strip())
        self._domain = (allowed_domain or "").strip().lower() or None
        if not self._emails and not self._domain:
            raise ValueError("no admins: set allowed emails or an allowed domain")
        if certs is not None:
            fixed = dict(certs)
            self._keys = IapKeys(lambda: fixed)
        else:
            self._keys = keys or IapKeys()
        self._skew = clock_skew_seconds

    def check(self, submitted: str) -> str | None:
        return None  # no secrets typed in: identity comes with each request

    def identify(self, req: Request) -> Identity | None:
        token = req.headers.get(ASSERTION_HEADER)
        if not token:
            return None
        claims = self.verify(token)
        return Identity(claims["email"], admin=claims["admin"]) if claims else None

    def verify(self, token: str) -> dict[str, Any] | None:
        """The assertion's claims (with `email` lower-cased, and `admin`: whether the admin settings name them)
        when it is IAP's, for us, current and names an email; None otherwise."""
        try:
            header = jwt.decode_header(token)
            kid = header.get("kid")
            if header.get("alg") != IAP_ALGORITHM or not isinstance(kid, str) or not kid:
                return self._refuse("not an ES256 assertion with a key id")
            key = self._keys.get(kid)
            if key is None:
                return self._refuse("unknown signing key")
            claims = dict(jwt.decode(token, certs={kid: key}, audience=self._audience,
                                     clock_skew_in_seconds=self._skew))
        except _TOKEN_ERRORS as exc:
            return self._refuse(f"invalid assertion: {type(exc).__name__}")
        if claims.get("iss") != IAP_ISSUER:
            return self._refuse("wrong issuer")
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email:
            return self._refuse("no email")
        email = email.strip().lower()
        hd = claims.get("hd")
        claims["email"] = email
        claims["admin"] = email in self._emails or bool(
            self._domain and isinstance(hd, str) and hd.lower() == self._domain)
        return claims

    @staticmethod
    def _refuse(reason: str, **facts: str) -> None:
        log.warning("IAP assertion refused", extra={"reason": reason, **facts})
        return None
