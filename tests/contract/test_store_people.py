"""Agents, invitations and the audit log, on every store."""

from __future__ import annotations

from datetime import timedelta

from gmail_tickets.domain.people import Agent, AuditEntry, Invite, InviteKind, Role, new_token
from gmail_tickets.ports import Store
from tests.contract.conftest import T0


def _agent(email: str, role: Role = Role.AGENT, **fields: object) -> Agent:
    return Agent(email=email, name=email.split("@")[0].title(), role=role, created_at=T0, **fields)  # type: ignore[arg-type]


def test_an_agent_round_trips_every_field(store: Store) -> None:
    ana = _agent("ana@acme.test", Role.ADMIN, active=False, signature="Ana\nAcme Support", locale="de",
                 last_sign_in_at=T0 + timedelta(hours=1), password_hash="$argon2id$v=19$m=65536,t=3,p=4$x$y")
    assert store.get_agent("ana@acme.test") is None
    store.save_agent(ana)
    assert store.get_agent("ana@acme.test") == ana
    assert store.atomically(lambda uow: uow.get_agent("ana@acme.test")) == ana


def test_agents_are_listed_by_email_and_replaced_whole(store: Store) -> None:
    store.save_agent(_agent("zed@acme.test"))
    store.save_agent(_agent("bob@acme.test"))
    store.atomically(lambda uow: uow.put_agent(_agent("amy@acme.test", Role.ADMIN)))
    assert [a.email for a in store.list_agents()] == ["amy@acme.test", "bob@acme.test", "zed@acme.test"]
    assert [a.email for a in store.atomically(lambda uow: uow.list_agents())] == [
        "amy@acme.test", "bob@acme.test", "zed@acme.test"]
    store.save_agent(_agent("bob@acme.test", Role.ADMIN, signature="B"))
    bob = store.get_agent("bob@acme.test")
    assert bob is not None and bob.role == Role.ADMIN and bob.signature == "B"
    assert len(store.list_agents()) == 3


def test_an_agent_saved_before_languages_existed_follows_the_browser(store: Store) -> None:
    store.save_agent(_agent("old@acme.test"))
    old = store.get_agent("old@acme.test")
    assert old is not None and old.locale == ""


def test_an_invite_is_kept_by_its_hash_and_taken_once(store: Store) -> None:
    token, digest = new_token()
    invite = Invite(token_hash=digest, email="new@acme.test", role=Role.AGENT, created_at=T0,
                    expires_at=T0 + timedelta(days=7), invited_by="amy@acme.test")
    store.atomically(lambda uow: uow.put_invite(invite))
    assert store.list_invites() == [invite]
    assert token not in repr(store.list_invites())

    def take(uow: object) -> Invite | None:
        found = uow.get_invite(digest)  # type: ignore[attr-defined]
        if found is not None:
            uow.delete_invite(digest)  # type: ignore[attr-defined]
        return found

    assert store.atomically(take) == invite
    assert store.atomically(take) is None
    assert store.list_invites() == []


def test_invites_list_oldest_first_with_their_kind(store: Store) -> None:
    later = Invite("b" * 64, "", Role.ADMIN, T0 + timedelta(minutes=1), T0 + timedelta(days=1),
                   kind=InviteKind.SETUP)
    earlier = Invite("c" * 64, "x@acme.test", Role.AGENT, T0, T0 + timedelta(days=7))
    store.atomically(lambda uow: uow.put_invite(later))
    store.atomically(lambda uow: uow.put_invite(earlier))
    assert store.list_invites() == [earlier, later]


def test_the_audit_log_reads_newest_first_and_is_bounded(store: Store) -> None:
    entries = [AuditEntry(id=f"e{i}", at=T0 + timedelta(seconds=i), actor="amy@acme.test",
                          action="mailbox.disconnect", target=f"s{i}@acme.test", detail="") for i in range(5)]
    for entry in entries[:3]:
        store.add_audit(entry)
    store.atomically(lambda uow: [uow.add_audit(e) for e in entries[3:]])
    assert store.list_audit(limit=10) == list(reversed(entries))
    assert store.list_audit(limit=2) == [entries[4], entries[3]]
