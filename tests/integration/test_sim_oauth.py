"""The simulator's OAuth connect flow, end to end over real HTTP: consent page → redirect with a code →
PKCE code exchange (sent as requests-oauthlib / google-auth-oauthlib send it) → google-auth's real refresh →
the Gmail client reads the profile of the account CHOSEN on the page; then revocation.

The product refuses a token of the wrong account by reading the profile, so choosing another account than
the login_hint must give that other account's profile.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import google_auth_httplib2
import httplib2
import pytest
from google.auth.exceptions import RefreshError

from devstack.gmail_sim import GmailSimulator, SimConfig, SimServer
from gmail_tickets.adapters.gmail_client import GMAIL_SCOPE, gmail_service, oauth_credentials
from tests.fixtures.sim import SUPPORT

SALES = "sales@example.com"
OTHER = "other@example.com"
REDIRECT = "http://127.0.0.1:8765/oauth/callback"
EMAIL_SCOPE = "https://www.googleapis.com/auth/userinfo.email"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The app's redirect_uri is not served here: the test reads Location itself."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http(
    method: str, url: str, form: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
    try:
        with _opener.open(request, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def pkce() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), computed here independently of the simulator."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def auth_url(server: SimServer, challenge: str, **overrides: str | None) -> str:
    params: dict[str, str | None] = {
        "client_id": server.sim.config.client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": f"{GMAIL_SCOPE} {EMAIL_SCOPE}",
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",
        "prompt": "consent",
        "login_hint": SUPPORT,
        **overrides,
    }
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    return f"{server.url}/o/oauth2/v2/auth?{query}"


def choose(url: str, account: str | None) -> dict[str, str]:
    """Post the page's form (the account's button, or Cancel when None); the redirect's query parameters."""
    status, headers, body = http("POST", url, {"account": account} if account else {"cancel": "1"})
    assert status == 302, body
    location = headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def exchange(server: SimServer, code: str, verifier: str | None, redirect_uri: str = REDIRECT) -> tuple[int, dict]:
    """The token request requests-oauthlib sends for google-auth-oauthlib's Flow.fetch_token: the client as
    HTTP Basic, grant_type/code/redirect_uri/code_verifier form-encoded."""
    cfg = server.sim.config
    basic = base64.b64encode(f"{cfg.client_id}:{cfg.client_secret}".encode()).decode()
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        form["code_verifier"] = verifier
    status, _, body = http("POST", f"{server.url}/token", form, {"Authorization": f"Basic {basic}"})
    return status, json.loads(body)


def connect(server: SimServer, account: str, **overrides: str | None) -> dict[str, Any]:
    verifier, challenge = pkce()
    redirect = choose(auth_url(server, challenge, **overrides), account)
    status, tokens = exchange(server, redirect["code"], verifier)
    assert status == 200, tokens
    return tokens


def profile_address(server: SimServer, refresh_token: str) -> str:
    """What the product does with a fresh refresh token: build the Gmail client, read the profile."""
    cfg = server.sim.config
    creds = oauth_credentials(refresh_token, cfg.client_id, cfg.client_secret, f"{server.url}/token")
    return gmail_service(creds, root_url=server.url).users().getProfile(userId="me").execute()["emailAddress"]


@pytest.fixture
def accounts(sim: GmailSimulator, sim_server: SimServer) -> SimServer:
    for address in (OTHER, SUPPORT, SALES):
        sim.add_mailbox(address)
    return sim_server


# ---- the consent page --------------------------------------------------------------------------------------
def test_consent_page_lists_every_account_with_the_hint_first(accounts: SimServer) -> None:
    status, headers, body = http("GET", auth_url(accounts, pkce()[1], login_hint=SALES))
    page = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert '<html lang="en">' in page and "<h1" in page and "Choose an account" in page
    positions = [page.index(f'value="{a}"') for a in (SALES, OTHER, SUPPORT)]
    assert positions[0] == min(positions)
    assert f'<li data-account="{SALES}" data-login-hint="true">' in page and page.count("data-login-hint") == 1
    assert '<form method="post"' in page and '<button type="submit" name="cancel"' in page and "Cancel" in page


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"client_id": "nobody.apps.googleusercontent.com"}, 401, "invalid_client"),
        ({"client_id": None}, 400, "invalid_request"),
        ({"redirect_uri": None}, 400, "invalid_request"),
        ({"response_type": None}, 400, "invalid_request"),
        ({"response_type": "token"}, 400, "unsupported_response_type"),
        ({"scope": EMAIL_SCOPE}, 400, "invalid_scope"),
        ({"scope": None}, 400, "invalid_request"),
        ({"code_challenge_method": "S512"}, 400, "invalid_request"),
    ],
)
def test_bad_requests_get_googles_error_page_not_a_redirect(
    accounts: SimServer, overrides: dict[str, str | None], status: int, error: str
) -> None:
    url = auth_url(accounts, pkce()[1], **overrides)
    for method, form in (("GET", None), ("POST", {"account": SUPPORT})):
        got, headers, body = http(method, url, form)
        assert (got, "Location" in headers) == (status, False)
        assert (
            headers["Content-Type"].startswith("text/html") and f"Error {status}: <code>{error}</code>" in body.decode()
        )


def test_posting_an_unknown_account_is_refused(accounts: SimServer) -> None:
    status, headers, _ = http("POST", auth_url(accounts, pkce()[1]), {"account": "nobody@example.com"})
    assert (status, "Location" in headers) == (400, False)


def test_cancel_redirects_with_access_denied_and_the_state(accounts: SimServer) -> None:
    assert choose(auth_url(accounts, pkce()[1]), None) == {"error": "access_denied", "state": "st-123"}


# ---- the whole flow -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("chosen", [SUPPORT, SALES], ids=["the-hinted-account", "another-account"])
def test_connect_flow_gives_tokens_for_the_chosen_account(accounts: SimServer, chosen: str) -> None:
    before = accounts.sim.credentials(chosen).refresh_token
    verifier, challenge = pkce()
    redirect = choose(auth_url(accounts, challenge, login_hint=SUPPORT), chosen)
    assert redirect["state"] == "st-123" and redirect["code"].startswith("4/")
    assert redirect["scope"].split() == [GMAIL_SCOPE, EMAIL_SCOPE]
    status, tokens = exchange(accounts, redirect["code"], verifier)
    assert status == 200, tokens
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3599
    assert tokens["access_token"].startswith("ya29.") and tokens["refresh_token"]
    assert tokens["scope"].split() == [GMAIL_SCOPE, EMAIL_SCOPE]
    assert "refresh_token_expires_in" not in tokens and tokens["refresh_token"] != before
    assert profile_address(accounts, tokens["refresh_token"]) == chosen  # google-auth's refresh, then Gmail


def test_client_credentials_in_the_form_body_work_too(accounts: SimServer) -> None:
    """google-auth-style client_secret_post, as a hand-written exchange would send it."""
    verifier, challenge = pkce()
    code = choose(auth_url(accounts, challenge), SUPPORT)["code"]
    cfg = accounts.sim.config
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_id": cfg.client_id,
        "client_secret": cfg.client_secret,
    }
    status, _, body = http("POST", f"{accounts.url}/token", form)
    assert status == 200 and json.loads(body)["refresh_token"]


def test_each_consent_gives_a_new_refresh_token_and_older_ones_keep_working(accounts: SimServer) -> None:
    original = accounts.sim.credentials(SUPPORT).refresh_token
    first = connect(accounts, SUPPORT)["refresh_token"]
    second = connect(accounts, SUPPORT)["refresh_token"]
    assert len({original, first, second}) == 3
    for token in (original, first, second):
        assert profile_address(accounts, token) == SUPPORT


def test_no_refresh_token_without_prompt_consent_on_a_repeat_grant_or_for_online_access(accounts: SimServer) -> None:
    repeat = connect(accounts, SUPPORT, prompt=None)
    assert repeat["access_token"] and "refresh_token" not in repeat
    online = connect(accounts, SUPPORT, access_type=None)
    assert online["access_token"] and "refresh_token" not in online


def test_consent_after_the_user_removed_the_app_grants_anew(accounts: SimServer) -> None:
    original = accounts.sim.credentials(SUPPORT).refresh_token
    accounts.sim.revoke(SUPPORT)
    tokens = connect(accounts, SUPPORT, prompt=None)  # no live grant: a refresh token even without prompt=consent
    assert profile_address(accounts, tokens["refresh_token"]) == SUPPORT
    with pytest.raises(RefreshError, match="invalid_grant"):
        _refresh(accounts, original)


def test_testing_client_refresh_tokens_say_when_they_expire(sim: GmailSimulator, sim_server: SimServer) -> None:
    sim.add_mailbox("tester@example.com", testing_client=True)
    tokens = connect(sim_server, "tester@example.com")
    assert tokens["refresh_token_expires_in"] == 604800
    assert profile_address(sim_server, tokens["refresh_token"]) == "tester@example.com"


# ---- the code exchange refuses ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "error", "description"),
    [
        ("reused", "invalid_grant", "Bad Request"),
        ("wrong-verifier", "invalid_grant", "Invalid code verifier."),
        ("no-verifier", "invalid_grant", "Missing code verifier."),
        ("expired", "invalid_grant", "Bad Request"),
        ("wrong-redirect-uri", "redirect_uri_mismatch", "Bad Request"),
        ("unknown-code", "invalid_grant", "Malformed auth code."),
    ],
)
def test_the_code_exchange_refuses(accounts: SimServer, case: str, error: str, description: str) -> None:
    good, challenge = pkce()
    code = choose(auth_url(accounts, challenge), SUPPORT)["code"]
    verifier: str | None = good
    redirect_uri = REDIRECT
    if case == "reused":
        assert exchange(accounts, code, good)[0] == 200
    elif case == "wrong-verifier":
        verifier = pkce()[0]
    elif case == "no-verifier":
        verifier = None
    elif case == "expired":
        accounts.sim.advance_clock(601)  # codes live 10 minutes of simulator time
    elif case == "wrong-redirect-uri":
        redirect_uri = "http://127.0.0.1:8765/elsewhere"
    elif case == "unknown-code":
        code = "4/not-a-code"
    status, body = exchange(accounts, code, verifier, redirect_uri)
    assert (status, body["error"], body["error_description"]) == (400, error, description)
    assert "access_token" not in body


def test_a_code_is_bound_to_the_client_it_was_issued_to() -> None:
    sim = GmailSimulator(SimConfig(seed=7, extra_clients={"second.apps.googleusercontent.com": "second-secret"}))
    sim.add_mailbox(SUPPORT)
    with SimServer(sim) as server:
        verifier, challenge = pkce()
        code = choose(auth_url(server, challenge, client_id="second.apps.googleusercontent.com"), SUPPORT)["code"]
        status, body = exchange(server, code, verifier)  # presented by the simulator's main client
        assert (status, body["error"]) == (400, "invalid_grant")
    sim.close()


# ---- revocation ---------------------------------------------------------------------------------------------
def _refresh(server: SimServer, refresh_token: str) -> None:
    cfg = server.sim.config
    creds = oauth_credentials(refresh_token, cfg.client_id, cfg.client_secret, f"{server.url}/token")
    creds.refresh(google_auth_httplib2.Request(httplib2.Http()))


def _profile_status(server: SimServer, access_token: str) -> int:
    url = f"{server.url}/gmail/v1/users/me/profile"
    return http("GET", url, headers={"Authorization": f"Bearer {access_token}"})[0]


@pytest.mark.parametrize("where", ["form", "query"])
def test_revoking_a_refresh_token_kills_it_and_its_access_tokens(accounts: SimServer, where: str) -> None:
    tokens = connect(accounts, SUPPORT)
    refresh, access = tokens["refresh_token"], tokens["access_token"]
    other = connect(accounts, SUPPORT)["refresh_token"]
    assert _profile_status(accounts, access) == 200
    if where == "form":
        status, _, body = http("POST", f"{accounts.url}/revoke", {"token": refresh})
    else:
        status, _, body = http("POST", f"{accounts.url}/revoke?{urllib.parse.urlencode({'token': refresh})}")
    assert (status, json.loads(body)) == (200, {})
    assert _profile_status(accounts, access) == 401
    with pytest.raises(RefreshError) as info:
        _refresh(accounts, refresh)
    assert "invalid_grant" in str(info.value)
    assert profile_address(accounts, other) == SUPPORT  # the mailbox's other grants live on
    status, _, body = http("POST", f"{accounts.url}/revoke", {"token": refresh})
    assert (status, json.loads(body)["error"]) == (400, "invalid_token")


def test_a_client_holding_a_revoked_grant_gets_401_then_invalid_grant(accounts: SimServer) -> None:
    cfg = accounts.sim.config
    creds = oauth_credentials(
        connect(accounts, SALES)["refresh_token"], cfg.client_id, cfg.client_secret, f"{accounts.url}/token"
    )
    gmail = gmail_service(creds, root_url=accounts.url)
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == SALES
    assert http("POST", f"{accounts.url}/revoke", {"token": creds.token})[0] == 200  # an access token: its grant
    with pytest.raises(RefreshError) as info:
        gmail.users().getProfile(userId="me").execute()  # 401 → refresh → invalid_grant
    assert "invalid_grant" in str(info.value)


def test_revoking_an_unknown_token_is_invalid_token(accounts: SimServer) -> None:
    for form in ({"token": "1//nope"}, {}):
        status, _, body = http("POST", f"{accounts.url}/revoke", form)
        assert (status, json.loads(body)["error"]) == (400, "invalid_token")
