"""The people who work in the console: agents with a role, the invitations that make them, and the audit log of
what admins did.

Why these rules live here: they are the help desk's policy, not any store's or page's. An admin does everything;
an agent works tickets and their own profile. The last active admin can be neither demoted nor deactivated (a
desk with no admin could never invite anyone again). Invitations are single-use and expire; only a hash of their
token is kept, so a copy of the store cannot be turned into a way in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    AGENT = "agent"


class InviteKind(StrEnum):
    INVITE = "invite"  # an admin invited someone by email
    SETUP = "setup"  # the one-time link `demo` and `serve` print until the first admin exists


INVITE_LIFETIME = timedelta(days=7)
SETUP_LIFETIME = timedelta(days=1)
MAX_NAME_CHARS = 100
MAX_SIGNATURE_CHARS = 1_000


@dataclass
class Agent:
    """Someone who may use the console; `email` (lower-cased) is their identity in both stores and behind IAP."""

    email: str
    name: str
    role: Role = Role.AGENT
    active: bool = True
    signature: str = ""
    created_at: datetime | None = None
    last_sign_in_at: datetime | None = None
    password_hash: str | None = None  # argon2id (embedded console only; behind IAP, Google checks the person)
    locale: str = ""  # the console language they chose ("en", "de"); "" = follow the browser's Accept-Language

    @property
    def is_admin(self) -> bool:
        return self.active and self.role == Role.ADMIN

    @property
    def label(self) -> str:
        """How the console names them: their name, or their address when they gave none."""
        return self.name.strip() or self.email


@dataclass
class Invite:
    """A single-use invitation, kept by the hash of its token (the token itself is only in the link)."""

    token_hash: str
    email: str  # "" for the setup link: whoever opens it names the first admin
    role: Role
    created_at: datetime
    expires_at: datetime
    invited_by: str = ""
    kind: InviteKind = InviteKind.INVITE

    def usable(self, now: datetime) -> bool:
        return now < self.expires_at


@dataclass(frozen=True)
class AuditEntry:
    """One admin action: who, when, what, on what."""

    id: str
    at: datetime
    actor: str  # the admin's email ("admin" for the shared admin secret)
    action: str  # e.g. "mailbox.disconnect", "agent.invite"
    target: str = ""
    detail: str = ""


def new_token() -> tuple[str, str]:
    """A fresh invitation token and the hash that is stored: (token, token_hash)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    """SHA-256 is enough here: the token is 256 random bits, so there is nothing to guess from its hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def normal_email(email: str) -> str:
    return email.strip().lower()


def is_email(email: str) -> bool:
    local, at, domain = normal_email(email).rpartition("@")
    return bool(at and local and "." in domain and " " not in email.strip() and len(email) <= 254)


def active_admins(agents: list[Agent]) -> list[Agent]:
    return [a for a in agents if a.is_admin]


def leaves_an_admin(agents: list[Agent], changed: Agent) -> bool:
    """Whether the desk still has an active admin once `changed` replaces the record of the same email."""
    return any(a.is_admin for a in agents if a.email != changed.email) or changed.is_admin


def sender_name(agent_name: str, brand_name: str) -> str:
    """The display name of an agent's mailed reply: "Ana (Acme Support)"; the address stays the support one."""
    agent_name, brand_name = agent_name.strip(), brand_name.strip()
    if agent_name and brand_name:
        return f"{agent_name} ({brand_name})"
    return agent_name or brand_name


def signed(text: str, signature: str) -> str:
    """The reply's text with the agent's signature below it (plain text, a blank line between)."""
    signature = signature.replace("\r\n", "\n").strip()
    return f"{text}\n\n{signature}" if signature else text
