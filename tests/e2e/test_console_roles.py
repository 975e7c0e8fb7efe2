"""Who may do what in the console, through Flask's test client on both stores: the first admin through the setup
link (after which the shared admin secret stops), invitations taken once, sign-in failures and their limit, the
last admin kept, deactivation ending sessions, the audit log, and every admin route refusing an agent."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gmail_tickets import bootstrap
from gmail_tickets.domain.model import SupportAddress, Ticket
from gmail_tickets.domain.people import Agent, Role
from gmail_tickets.ports import Store
from gmail_tickets.services import passwords, people
from gmail_tickets.services.deps import Deps
from gmail_tickets.web import ConsoleDeps, create_app
from gmail_tickets.web.access import AGENT_ENDPOINTS
from gmail_tickets.web.auth import PUBLIC_ENDPOINTS, SecretAuth
from gmail_tickets.web.sign_in import SIGN_IN_FAILED, TOO_MANY
from gmail_tickets.web.throttle import PER_ACCOUNT

SECRET = "s3cret-admin"
PASSWORD = "correct horse battery"


@pytest.fixture
def deps(store: Store, tmp_path: Path) -> Deps:
    config = bootstrap.Config(secrets_file=str(tmp_path / "secrets.json"), blobs_dir=str(tmp_path / "blobs"))
    return bootstrap.build(config, store=store)


@pytest.fixture
def app(deps: Deps) -> Any:
    return create_app(ConsoleDeps(deps, admin_auth=SecretAuth(SECRET), secret_key="test"))


def _csrf(client: Any, path: str = "/sign-in") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found is not None, path
    return found.group(1)


def _post(client: Any, path: str, form: dict[str, str] | None = None, page: str = "/tickets") -> Any:
    return client.post(path, data={**(form or {}), "csrf_token": _csrf(client, page)})


def _sign_in(app: Any, email: str, password: str = PASSWORD) -> Any:
    client = app.test_client()
    answer = client.post("/sign-in", data={"email": email, "password": password, "csrf_token": _csrf(client)})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def _with_secret(app: Any) -> Any:
    client = app.test_client()
    answer = client.post("/sign-in", data={"secret": SECRET, "csrf_token": _csrf(client)})
    assert answer.status_code == 302
    return client


def _setup_admin(app: Any, deps: Deps, email: str = "amy@acme.test") -> Any:
    token = people.setup_token(deps)
    assert token is not None
    client = app.test_client()
    form = {"email": email, "name": "Amy", "password": PASSWORD, "confirm": PASSWORD}
    answer = client.post(f"/setup/{token}", data={**form, "csrf_token": _csrf(client, f"/setup/{token}")})
    assert answer.status_code == 302 and answer.headers["Location"] == "/tickets"
    return client


def _invite(admin: Any, app: Any, email: str, role: str = "agent", name: str = "Ana") -> Any:
    page = _post(admin, "/agents/invite", {"email": email, "role": role}, page="/agents").get_data(as_text=True)
    link = re.search(r'id="invite-link" type="text" readonly value="http://localhost(/invite/[^"]+)"', page)
    assert link is not None, page
    client = app.test_client()
    form = {"name": name, "password": PASSWORD, "confirm": PASSWORD}
    answer = client.post(link.group(1), data={**form, "csrf_token": _csrf(client, link.group(1))})
    assert answer.status_code == 302
    return client, link.group(1)


def test_the_setup_link_makes_the_first_admin_and_the_secret_stops(app: Any, deps: Deps) -> None:
    by_secret = _with_secret(app)
    assert by_secret.get("/addresses").status_code == 200  # the secret admin is an admin until then
    token = people.setup_token(deps)
    admin = _setup_admin(app, deps)
    assert admin.get("/agents").status_code == 200
    stored = deps.store.get_agent("amy@acme.test")
    assert stored is not None and stored.role == Role.ADMIN and stored.password_hash != PASSWORD
    assert passwords.verify(stored.password_hash, PASSWORD)

    assert by_secret.get("/tickets").status_code == 302  # the live secret session is over
    fresh = app.test_client()
    answer = fresh.post("/sign-in", data={"secret": SECRET, "csrf_token": _csrf(fresh)})
    assert answer.status_code == 401 and "no longer works" in answer.get_data(as_text=True)
    assert 'name="secret"' not in fresh.get("/sign-in").get_data(as_text=True)
    assert people.setup_token(deps) is None  # nothing more to print
    assert app.test_client().get(f"/setup/{token}").status_code == 404  # and an older link is spent


def test_an_invitation_works_once_and_names_the_agent(app: Any, deps: Deps) -> None:
    admin = _setup_admin(app, deps)
    agent, link = _invite(admin, app, "Ana@Acme.test")
    assert agent.get("/tickets").status_code == 200
    again = app.test_client()
    assert again.get(link).status_code == 404
    ana = deps.store.get_agent("ana@acme.test")
    assert ana is not None and ana.role == Role.AGENT and ana.name == "Ana"
    assert all(link.rsplit("/", 1)[1] not in repr(i) for i in deps.store.list_invites())  # only the hash is kept
    actions = [e.action for e in deps.store.list_audit()]
    assert actions == ["agent.accept", "agent.invite", "agent.setup"]


def test_an_expired_invitation_is_refused(app: Any, deps: Deps) -> None:
    admin = _setup_admin(app, deps)
    token = people.invite(deps, "amy@acme.test", "late@acme.test", Role.AGENT)
    invite = deps.store.list_invites()[-1]
    invite.expires_at = deps.clock.now() - timedelta(seconds=1)
    deps.store.atomically(lambda uow: uow.put_invite(invite))
    assert app.test_client().get(f"/invite/{token}").status_code == 404
    assert admin.get("/agents").status_code == 200


def test_sign_in_failures_say_one_thing_and_are_limited(app: Any, deps: Deps) -> None:
    _setup_admin(app, deps)
    gone = Agent("gone@acme.test", "Gone", active=False, password_hash=passwords.hash_password(PASSWORD))
    deps.store.save_agent(gone)
    answers = []
    for email, password in [("amy@acme.test", "wrong password!"), ("nobody@acme.test", PASSWORD),
                            ("gone@acme.test", PASSWORD)]:
        client = app.test_client()
        answer = client.post("/sign-in", data={"email": email, "password": password, "csrf_token": _csrf(client)})
        answers.append((answer.status_code, SIGN_IN_FAILED in answer.get_data(as_text=True)))
    assert answers == [(401, True)] * 3
    client = app.test_client()
    for _ in range(PER_ACCOUNT - 1):
        client.post("/sign-in", data={"email": "amy@acme.test", "password": "guess guess", "csrf_token": _csrf(client)})
    answer = client.post("/sign-in", data={"email": "amy@acme.test", "password": PASSWORD, "csrf_token": _csrf(client)})
    assert answer.status_code == 429 and TOO_MANY in answer.get_data(as_text=True)  # even the right one waits


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(app: Any, deps: Deps) -> None:
    admin = _setup_admin(app, deps)
    for path, form in [("/agents/amy@acme.test/role", {"role": "agent"}),
                       ("/agents/amy@acme.test/active", {"active": "off"})]:
        _post(admin, path, form, page="/agents")
        amy = deps.store.get_agent("amy@acme.test")
        assert amy is not None and amy.is_admin, path
    assert "at least one active admin" in admin.get("/agents").get_data(as_text=True)
    _invite(admin, app, "bo@acme.test", role="admin", name="Bo")
    _post(admin, "/agents/amy@acme.test/role", {"role": "agent"}, page="/agents")  # now someone else is admin
    amy = deps.store.get_agent("amy@acme.test")
    assert amy is not None and amy.role == Role.AGENT
    assert admin.get("/agents").status_code == 403  # at once, in the session she is in


def test_deactivating_an_agent_ends_their_sessions(app: Any, deps: Deps) -> None:
    admin = _setup_admin(app, deps)
    agent, _ = _invite(admin, app, "ana@acme.test")
    assert agent.get("/tickets").status_code == 200
    _post(admin, "/agents/ana@acme.test/active", {"active": "off"}, page="/agents")
    assert agent.get("/tickets").status_code == 302
    assert agent.get("/api/tickets").status_code == 401
    client = app.test_client()
    answer = client.post("/sign-in", data={"email": "ana@acme.test", "password": PASSWORD, "csrf_token": _csrf(client)})
    assert answer.status_code == 401
    assert [e.action for e in deps.store.list_audit(limit=1)] == ["agent.deactivate"]


def test_admin_actions_are_in_the_audit_log_with_who_and_what(app: Any, deps: Deps) -> None:
    admin = _setup_admin(app, deps)
    deps.store.save_support_address(SupportAddress("help@acme.test", "default", is_default=False))
    deps.store.save_support_address(SupportAddress("desk@acme.test", "default", is_default=True))
    _post(admin, "/addresses/help@acme.test/default", page="/addresses")
    _post(admin, "/brands/default/acknowledgement", {"template": "Hi {{ requester }}"}, page="/brands")
    entries = deps.store.list_audit()
    assert [(e.actor, e.action, e.target) for e in entries[:2]] == [
        ("amy@acme.test", "brand.template", "default"), ("amy@acme.test", "mailbox.default", "help@acme.test")]
    page = admin.get("/audit").get_data(as_text=True)
    assert "Made an address the default" in page and "help@acme.test" in page


def _example_args(rule: Any) -> dict[str, Any]:
    return {name: 1 if converter == "int" else "ana@acme.test"
            for converter, name in re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", rule.rule)}


def test_every_admin_route_refuses_an_agent(app: Any, deps: Deps) -> None:
    """Walks the url_map: every route that is neither public nor on the agents' allowlist answers an agent 403, for
    every method, so an admin route added later is refused without touching this test. The allowlist is pinned
    too, so widening it is a visible decision."""
    admin = _setup_admin(app, deps)
    agent, _ = _invite(admin, app, "ana@acme.test")
    token = _csrf(agent, "/tickets")
    allowed = {
        "tickets.home", "tickets.list_tickets", "tickets.api_tickets", "tickets.show_ticket", "tickets.reply",
        "tickets.update_fields",
        "tickets.attachment", "tickets.suspended", "tickets.quarantine", "tickets.requester", "search.search_tickets",
        "tickets.recover_suspended", "tickets.delete_suspended",  # agents recover suspended mail (as in Zendesk)
        "outbox.list_notifications", "outbox.send_again", "profile.show", "profile.save", "profile.change_password",
        "api_tokens.show", "api_tokens.create", "api_tokens.revoke",
        "auth.sign_out", "live.changes", "live.typing", "language.choose"}
    assert allowed == AGENT_ENDPOINTS
    refused = []
    with app.test_request_context():
        rules = [(rule, app.url_for(rule.endpoint, **_example_args(rule))) for rule in app.url_map.iter_rules()]
    for rule, path in rules:
        if rule.endpoint in PUBLIC_ENDPOINTS | AGENT_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            answer = agent.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert answer.status_code == 403, (method, path, answer.status_code)
            refused.append(rule.endpoint)
    assert {"addresses.connect", "addresses.disconnect", "addresses.reconnect", "addresses.delete",
            "addresses.make_default", "addresses.send_via_gmail", "addresses.list_addresses",
            "brands.save_acknowledgement", "agents.invite", "agents.set_role", "agents.set_active",
            "agents.audit"} <= set(refused)
    ana = deps.store.get_agent("ana@acme.test")
    assert ana is not None and ana.role == Role.AGENT and ana.active  # nothing an agent posted took effect
    assert [e.action for e in deps.store.list_audit(limit=1)] == ["agent.accept"]
    page = agent.get("/tickets").get_data(as_text=True)
    assert "Signed in as" in page and "Ana" in page and "/agents" not in page and "/addresses" not in page
    assert agent.get("/search?q=printer").status_code == 200  # agents search; customers never reach the console


def test_an_agent_keeps_their_own_profile(app: Any, deps: Deps) -> None:
    admin = _setup_admin(app, deps)
    agent, _ = _invite(admin, app, "ana@acme.test")
    _post(agent, "/profile", {"name": "Ana Lima", "signature": "Ana Lima\r\nAcme Support"}, page="/profile")
    _post(agent, "/profile/password", {"current": PASSWORD, "new_password": "another long one", "confirm":
                                       "another long one"}, page="/profile")
    ana = deps.store.get_agent("ana@acme.test")
    assert ana is not None and (ana.name, ana.signature) == ("Ana Lima", "Ana Lima\nAcme Support")
    assert passwords.verify(ana.password_hash, "another long one")
    assert _post(agent, "/profile", {"name": "", "signature": ""}, page="/profile").status_code == 400


def test_an_agent_uses_the_views_and_my_open_is_theirs(app: Any, deps: Deps) -> None:
    """Views are agents' work: "My open" lists the signed-in agent's tickets, with its count; a requester's page
    opens too."""
    admin = _setup_admin(app, deps)
    agent, _ = _invite(admin, app, "ana@acme.test")

    def add(uow: Any) -> None:
        for n, assignee in enumerate(("ana@acme.test", "ana@acme.test", "amy@acme.test", None)):
            uow.add_ticket(Ticket(f"Mine? {n}", "kim@customer.test", "help@acme.test", assignee=assignee))

    deps.store.atomically(add)
    page = agent.get("/tickets?view=mine").get_data(as_text=True)
    assert page.count('data-ticket-id="') == 2 and "Mine? 2" not in page
    assert re.search(r'id="view-mine"[^>]*>My open <span class="view-count badge">2<', page)
    assert re.search(r'id="view-unassigned"[^>]*>Unassigned <span class="view-count badge">1<', page)
    assert agent.get("/requesters/kim@customer.test").get_data(as_text=True).count('data-ticket-id="') == 4
    first = agent.get("/api/tickets?view=all&limit=3")  # the API pages too, and says how many in all
    assert len(first.get_json()) == 3 and first.headers["X-Total-Count"] == "4"
    older = re.search(r'<([^>]+)>; rel="next"', first.headers["Link"])
    assert older is not None and len(agent.get(older.group(1)).get_json()) == 1
    assert agent.get("/tickets?cursor=forged").status_code == 400
