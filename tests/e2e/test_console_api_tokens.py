"""API tokens made and revoked in the console (Flask's test client, both stores): the secret is shown once and
works as `Authorization: Bearer` on the REST API with the agent's role; the list shows only its first characters;
revoking ends it at once; an agent sees and revokes only their own tokens, an admin everyone's."""

from __future__ import annotations

import re
from typing import Any

from gmail_tickets.services.deps import Deps
from gmail_tickets.web.api import create_api_app
from tests.e2e.test_console_roles import _invite, _post, _setup_admin, app, deps  # noqa: F401


def _make_token(client: Any, name: str) -> str:
    answer = _post(client, "/profile/tokens", {"name": name}, page="/profile/tokens")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    found = re.search(r'<code id="new-token">(gtk_[^<]+)</code>', answer.get_data(as_text=True))
    assert found is not None
    return found.group(1)


def _me(deps: Deps, secret: str) -> Any:  # noqa: F811
    return create_api_app(deps).test_client().get("/api/v1/agents/me", headers={"Authorization": f"Bearer {secret}"})


def test_a_token_is_shown_once_acts_as_its_agent_and_ends_when_revoked(app: Any, deps: Deps) -> None:  # noqa: F811
    admin = _setup_admin(app, deps)
    agent, _link = _invite(admin, app, "ana@acme.test")
    secret = _make_token(agent, "CRM sync")
    assert _me(deps, secret).get_json()["role"] == "agent"
    assert create_api_app(deps).test_client().get(
        "/api/v1/agents", headers={"Authorization": f"Bearer {secret}"}).status_code == 403
    listing = agent.get("/profile/tokens").get_data(as_text=True)
    assert "CRM sync" in listing and secret[:8] in listing and secret not in listing
    assert [t.name for t in deps.store.list_api_tokens()] == ["CRM sync"]
    stored = deps.store.list_api_tokens()[0]
    assert secret not in repr(stored)  # only its hash is kept

    admin_secret = _make_token(admin, "reports")
    assert _me(deps, admin_secret).get_json()["role"] == "admin"
    mine = agent.get("/profile/tokens").get_data(as_text=True)
    assert "reports" not in mine, "an agent sees only their own tokens"
    assert _post(agent, f"/profile/tokens/{deps.store.list_api_tokens('amy@acme.test')[0].id}/revoke",
                 page="/profile/tokens").status_code == 404
    assert _me(deps, admin_secret).status_code == 200
    assert "CRM sync" in admin.get("/profile/tokens").get_data(as_text=True), "an admin sees everyone's"
    revoked = _post(admin, f"/profile/tokens/{stored.id}/revoke", page="/profile/tokens")
    assert revoked.status_code == 302
    assert _me(deps, secret).status_code == 401
    assert "revoked" in agent.get("/profile/tokens").get_data(as_text=True)


def test_a_token_needs_a_name(app: Any, deps: Deps) -> None:  # noqa: F811
    admin = _setup_admin(app, deps)
    answer = _post(admin, "/profile/tokens", {"name": "   "}, page="/profile/tokens")
    assert answer.status_code == 400 and "gtk_" not in answer.get_data(as_text=True)
    assert deps.store.list_api_tokens() == []


def test_one_machine_serves_the_api_beside_the_console(deps: Deps, tmp_path: Any) -> None:  # noqa: F811
    """`serve` and the demo: the console's own server answers /api/v1 with the API, everything else as before."""
    import requests

    from gmail_tickets import bootstrap, bootstrap_web
    from gmail_tickets.domain.people import Agent, Role
    from gmail_tickets.services import api_tokens

    config = bootstrap.Config(secrets_file=str(tmp_path / "secrets.json"), blobs_dir=str(tmp_path / "blobs"))
    served = bootstrap_web.serve_console(config, deps)
    try:
        admin = Agent(email="amy@acme.test", name="Amy", role=Role.ADMIN)
        deps.store.save_agent(admin)
        secret, _ = api_tokens.create(deps, admin, "script")
        me = requests.get(f"{served.url}/api/v1/agents/me", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
        assert me.json()["email"] == "amy@acme.test"
        assert requests.get(f"{served.url}/api/v1/nothing", timeout=10).headers["Content-Type"] == (
            "application/problem+json")
        console = requests.get(f"{served.url}/tickets", timeout=10, allow_redirects=False)
        assert console.status_code == 302 and "/sign-in" in console.headers["Location"]
    finally:
        served.stop()
