"""API tokens and idempotency records: what lets another tool act for an agent over the REST API (web/api/).

A token is a random secret shown once; only its SHA-256 is kept (a fast hash is right for 256 random bits: there
is nothing to guess, unlike a password). The record's id is that hash, so a request's token is found by one
key lookup and a leaked store gives no usable token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

TOKEN_PREFIX = "gtk_"  # marks our tokens in a config file or a secret scanner's report
CLAIM_LIFETIME = timedelta(seconds=90)
"""How long an unanswered Idempotency-Key claim holds: past it the process that claimed it is taken for dead
(the api function's timeout is 60 s, so no request still runs) and a retry takes the claim over."""


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_id(secret: str) -> str:
    """The stored id of a token: its SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class ApiToken:
    id: str  # token_id(secret)
    agent: str  # the agent's email: the token acts with their role, checked on every request
    name: str  # what the agent called it ("CRM sync")
    hint: str  # the secret's first characters, so the agent can tell tokens apart
    created_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass
class IdempotentResponse:
    """A POST's response kept under the caller's Idempotency-Key, per token: the retry gets it again instead of
    a second effect. `status` 0 while the first request is still being handled."""

    key: str  # idempotency_key(token, header)
    token_id: str
    fingerprint: str  # the request (method, path, body) the key was first used with
    status: int = 0
    body: str = ""
    location: str = ""
    created_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.status != 0

    def abandoned(self, claimed_before: datetime) -> bool:
        """A claim whose request never answered and that is older than `claimed_before`: its process died
        between claiming the key and storing the response, so a retry may take it over."""
        return not self.done and (self.created_at is None or self.created_at < claimed_before)


def idempotency_key(token: str, header: str) -> str:
    return hashlib.sha256(f"{token}\n{header}".encode()).hexdigest()


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()
