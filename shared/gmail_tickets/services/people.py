"""Agents and their accounts: the first admin through the setup link, invitations, sign-in, roles, deactivation
and each agent's own profile. Rules of the desk are in domain/people.py; changes that depend on the whole desk
(the last active admin, an invitation taken once) run in one transaction with their audit entry.
"""

from __future__ import annotations

from gmail_tickets.domain.people import (
    INVITE_LIFETIME,
    MAX_NAME_CHARS,
    MAX_SIGNATURE_CHARS,
    SETUP_LIFETIME,
    Agent,
    Invite,
    InviteKind,
    Role,
    is_email,
    leaves_an_admin,
    new_token,
    normal_email,
    token_hash,
)
from gmail_tickets.domain.said import said
from gmail_tickets.errors import ActionRefused
from gmail_tickets.ports import UnitOfWork
from gmail_tickets.services import passwords
from gmail_tickets.services.audit import entry
from gmail_tickets.services.deps import Deps

NO_ADMIN_LEFT = said("The desk needs at least one active admin: make someone else an admin first.")


def admin_exists(deps: Deps) -> bool:
    return any(a.is_admin for a in deps.store.list_agents())


def setup_token(deps: Deps) -> str | None:
    """A fresh one-time setup link's token while the desk has no admin account (None once it has): `demo` and
    `serve` print it at each start. Only its hash is stored; older setup links stay valid until they expire."""
    if admin_exists(deps):
        return None
    token, digest = new_token()
    now = deps.clock.now()
    expired = [i.token_hash for i in deps.store.list_invites() if i.kind == InviteKind.SETUP and not i.usable(now)]
    invite = Invite(digest, "", Role.ADMIN, now, now + SETUP_LIFETIME, kind=InviteKind.SETUP)

    def work(uow: UnitOfWork) -> None:
        for old in expired:  # one per start while there is no admin: the spent ones go
            uow.delete_invite(old)
        uow.put_invite(invite)

    deps.store.atomically(work)
    return token


def pending_invite(deps: Deps, token: str, kind: InviteKind) -> Invite | None:
    """The usable invitation of this kind behind `token`, for showing its page; None when unknown or expired."""
    found = deps.store.atomically(lambda uow: uow.get_invite(token_hash(token)))
    return found if found is not None and found.kind == kind and found.usable(deps.clock.now()) else None


def _profile(name: str, signature: str = "") -> tuple[str, str]:
    name, signature = name.strip(), signature.replace("\r\n", "\n").strip()
    if not name:
        raise ActionRefused(said("Give your name: customers see it on your replies."))
    if len(name) > MAX_NAME_CHARS or any(c in name for c in "\r\n<>\"()"):
        raise ActionRefused(said("A name may have at most %(most)s characters, without line breaks, quotes, brackets "
                                 "or parentheses.", most=MAX_NAME_CHARS))
    if len(signature) > MAX_SIGNATURE_CHARS:
        raise ActionRefused(said("A signature may have at most %(most)s characters.", most=MAX_SIGNATURE_CHARS))
    return name, signature


def accept(deps: Deps, token: str, kind: InviteKind, *, name: str, password: str, email: str = "") -> Agent:
    """Take an invitation (or the setup link, which also names the email) and create its agent, once: a second
    use of the same link, an expired one, or a setup link after an admin exists is refused."""
    name, _ = _profile(name)
    digest = passwords.hash_password(password)
    now = deps.clock.now()

    def work(uow: UnitOfWork) -> Agent:
        invite = uow.get_invite(token_hash(token))
        agents = uow.list_agents()
        if invite is None or invite.kind != kind or not invite.usable(now):
            raise ActionRefused(said("This link has been used already or has expired. Ask an admin for a new one."))
        address = normal_email(email if kind == InviteKind.SETUP else invite.email)
        if kind == InviteKind.SETUP and any(a.is_admin for a in agents):
            raise ActionRefused(said("The first admin has been set up already: sign in instead."))
        if not is_email(address):
            raise ActionRefused(said("Give a valid email address."))
        if any(a.email == address and a.active for a in agents):
            raise ActionRefused(said("%(address)s has an account already: sign in instead.", address=address))
        agent = Agent(email=address, name=name, role=invite.role, created_at=now, password_hash=digest)
        uow.delete_invite(invite.token_hash)
        uow.put_agent(agent)
        action = "agent.setup" if kind == InviteKind.SETUP else "agent.accept"
        uow.add_audit(entry(deps, address, action, address, f"role {invite.role}"))
        return agent

    return deps.store.atomically(work)


def invite(deps: Deps, actor: str, email: str, role: Role) -> str:
    """An admin invites `email` as `role`: the token of the single-use link (only its hash is stored)."""
    address = normal_email(email)
    if not is_email(address):
        raise ActionRefused(said("Give a valid email address to invite."))
    token, digest = new_token()
    now = deps.clock.now()

    def work(uow: UnitOfWork) -> None:
        existing = uow.get_agent(address)
        if existing is not None:
            state = "active" if existing.active else "deactivated: reactivate them instead"
            raise ActionRefused(said("%(address)s is an agent already (%(state)s).", address=address, state=state))
        uow.put_invite(Invite(digest, address, role, now, now + INVITE_LIFETIME, invited_by=actor))
        uow.add_audit(entry(deps, actor, "agent.invite", address, f"role {role}"))

    deps.store.atomically(work)
    return token


def sign_in(deps: Deps, email: str, password: str) -> Agent | None:
    """The active agent these credentials prove, else None (one answer for every reason, in the same time)."""
    agent = deps.store.get_agent(normal_email(email))
    ok = passwords.verify(agent.password_hash if agent else None, password)
    if agent is None or not ok or not agent.active:
        return None
    agent.last_sign_in_at = deps.clock.now()
    if agent.password_hash and passwords.needs_rehash(agent.password_hash):
        agent.password_hash = passwords.hash_password(password)
    _update(deps, agent.email, lambda a: _signed_in(a, agent))
    return agent


def _signed_in(stored: Agent, fresh: Agent) -> None:
    stored.last_sign_in_at, stored.password_hash = fresh.last_sign_in_at, fresh.password_hash


def _update(deps: Deps, email: str, change: object, *, actor: str = "", action: str = "", detail: str = "") -> Agent:
    """Read the agent, apply `change` (which may raise ActionRefused), refuse if no active admin would remain,
    write it and its audit entry: one transaction."""

    def work(uow: UnitOfWork) -> Agent:
        agent = uow.get_agent(email)
        agents = uow.list_agents()
        if agent is None:
            raise ActionRefused(said("There is no agent %(email)s.", email=email))
        change(agent)  # type: ignore[operator]
        if any(a.is_admin for a in agents) and not leaves_an_admin(agents, agent):
            raise ActionRefused(NO_ADMIN_LEFT)
        uow.put_agent(agent)
        if action:
            uow.add_audit(entry(deps, actor, action, email, detail))
        return agent

    return deps.store.atomically(work)


def set_role(deps: Deps, actor: str, email: str, role: Role) -> Agent:
    return _update(deps, email, lambda a: setattr(a, "role", role), actor=actor, action="agent.role",
                   detail=f"role {role}")


def set_active(deps: Deps, actor: str, email: str, active: bool) -> Agent:
    return _update(deps, email, lambda a: setattr(a, "active", active), actor=actor,
                   action="agent.reactivate" if active else "agent.deactivate")


def update_profile(deps: Deps, email: str, *, name: str, signature: str) -> Agent:
    name, signature = _profile(name, signature)

    def change(agent: Agent) -> None:
        agent.name, agent.signature = name, signature

    return _update(deps, email, change)


LOCALES = ("en", "de")
"""The console's languages (translations/ holds a catalog for each but English, the language of the source)."""


def set_locale(deps: Deps, email: str, locale: str) -> Agent:
    """The agent's console language, kept on their record so it follows them to any browser."""
    if locale not in LOCALES:
        raise ActionRefused(said("There is no console language %(language)s.", language=repr(locale)))
    return _update(deps, email, lambda a: setattr(a, "locale", locale))


def change_password(deps: Deps, email: str, *, current: str, new: str) -> Agent:
    agent = deps.store.get_agent(email)
    if agent is None or not passwords.verify(agent.password_hash, current):
        raise ActionRefused(said("Your current password is not right."))
    digest = passwords.hash_password(new)
    return _update(deps, email, lambda a: setattr(a, "password_hash", digest))


def configured_admin(deps: Deps, email: str) -> Agent:
    """Behind IAP, someone the deployment's admin settings name is an admin: their agent record, made on their
    first visit (so they appear on the Agents page and have a profile), and an admin whatever it says."""
    address = normal_email(email)
    agent = deps.store.get_agent(address)
    if agent is None:
        agent = Agent(email=address, name=address.split("@")[0], role=Role.ADMIN, created_at=deps.clock.now())
        deps.store.save_agent(agent)
    agent.role, agent.active = Role.ADMIN, True
    return agent
