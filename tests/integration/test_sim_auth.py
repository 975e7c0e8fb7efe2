"""The token endpoint and access-token checks, through google-auth's real refresh path."""

from __future__ import annotations

import json
import urllib.parse

import google_auth_httplib2
import httplib2
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from gmail_tickets.adapters.gmail_client import GMAIL_SCOPE, discovery_document, gmail_service, oauth_credentials
from tests.fixtures.sim import SUPPORT, api_error


def post_token(url: str, **form: str) -> tuple[int, dict]:
    resp, content = httplib2.Http().request(
        f"{url}/token",
        "POST",
        body=urllib.parse.urlencode(form),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    return resp.status, json.loads(content)


def test_refresh_gives_a_bearer_token(sim, sim_server, gmail_credentials):
    creds = gmail_credentials(SUPPORT)
    creds.refresh(google_auth_httplib2.Request(httplib2.Http()))
    assert creds.token.startswith("ya29.") and creds.valid
    status, body = post_token(
        sim_server.url,
        grant_type="refresh_token",
        refresh_token=creds.refresh_token,
        client_id=creds.client_id,
        client_secret=creds.client_secret,
    )
    assert status == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599 and body["scope"] == GMAIL_SCOPE
    assert "refresh_token_expires_in" not in body


def test_revoked_grant_surfaces_as_refresh_error_invalid_grant(sim, gmail):
    gmail.users().getProfile(userId="me").execute()
    sim.revoke(SUPPORT)
    with pytest.raises(RefreshError) as info:
        gmail.users().getProfile(userId="me").execute()  # 401 → refresh → invalid_grant
    assert "invalid_grant" in str(info.value)
    assert "Token has been expired or revoked." in str(info.value)


def test_revoked_accounts_still_valid_access_token_gets_401(sim, sim_server):
    sim.add_mailbox(SUPPORT)
    token = sim.access_token(SUPPORT)
    url = f"{sim_server.url}/gmail/v1/users/me/profile"
    assert httplib2.Http().request(url, headers={"authorization": f"Bearer {token}"})[0].status == 200
    sim.revoke(SUPPORT)
    # The real client, with google-auth's automatic refresh turned off, sees Google's 401.
    http = google_auth_httplib2.AuthorizedHttp(Credentials(token=token), http=httplib2.Http(), max_refresh_attempts=0)
    service = build_from_document(discovery_document(sim_server.url), http=http)
    with pytest.raises(HttpError) as info:
        service.users().getProfile(userId="me").execute()
    error = api_error(info.value)
    assert (error["code"], error["reason"], error["status"]) == (401, "authError", "UNAUTHENTICATED")
    assert info.value.resp["www-authenticate"].startswith("Bearer")


def test_missing_or_unknown_token_gets_401(sim, sim_server):
    sim.add_mailbox(SUPPORT)
    url = f"{sim_server.url}/gmail/v1/users/me/profile"
    assert httplib2.Http().request(url)[0].status == 401
    resp, content = httplib2.Http().request(url, headers={"authorization": "Bearer nope"})
    assert resp.status == 401 and json.loads(content)["error"]["errors"][0]["message"] == "Invalid Credentials"


def test_restore_and_reconnect_with_a_new_refresh_token(sim, sim_server, gmail):
    sim.revoke(SUPPORT)
    with pytest.raises(RefreshError):
        gmail.users().getProfile(userId="me").execute()
    sim.restore(SUPPORT)
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == SUPPORT
    old = sim.credentials(SUPPORT)
    new = sim.restore(SUPPORT, new_refresh_token=True)
    assert new.refresh_token != old.refresh_token
    status, body = post_token(
        sim_server.url,
        grant_type="refresh_token",
        refresh_token=old.refresh_token,
        client_id=old.client_id,
        client_secret=old.client_secret,
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    client = gmail_service(
        oauth_credentials(new.refresh_token, new.client_id, new.client_secret, new.token_uri), root_url=sim_server.url
    )
    assert client.users().getProfile(userId="me").execute()["emailAddress"] == SUPPORT


def test_expired_access_token_is_refreshed_transparently(sim, gmail):
    gmail.users().getProfile(userId="me").execute()
    sim.advance_clock(2 * 3600)  # the server-side token expired; google-auth still thinks it is valid
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == SUPPORT
    assert sim.counters(SUPPORT)["methods"]["getProfile"]["calls"] == 2  # the 401 never reached a method


def test_testing_client_refresh_tokens_expire_after_7_days(sim, sim_server):
    creds = sim.add_mailbox("tester@example.com", testing_client=True)
    status, body = post_token(
        sim_server.url,
        grant_type="refresh_token",
        refresh_token=creds.refresh_token,
        client_id=creds.client_id,
        client_secret=creds.client_secret,
    )
    assert status == 200 and 0 < body["refresh_token_expires_in"] <= 7 * 86400
    sim.advance_clock(7 * 86400 + 1)
    status, body = post_token(
        sim_server.url,
        grant_type="refresh_token",
        refresh_token=creds.refresh_token,
        client_id=creds.client_id,
        client_secret=creds.client_secret,
    )
    assert (status, body["error"], body["error_description"]) == (
        400,
        "invalid_grant",
        "Token has been expired or revoked.",
    )


def test_wrong_client_and_grant_type(sim, sim_server):
    creds = sim.add_mailbox(SUPPORT)
    status, body = post_token(
        sim_server.url,
        grant_type="refresh_token",
        refresh_token=creds.refresh_token,
        client_id=creds.client_id,
        client_secret="wrong",
    )
    assert (status, body["error"]) == (401, "invalid_client")
    status, body = post_token(
        sim_server.url, grant_type="password", client_id=creds.client_id, client_secret=creds.client_secret
    )
    assert (status, body["error"]) == (400, "unsupported_grant_type")


def test_authorization_code_seam(sim, sim_server):
    creds = sim.add_mailbox(SUPPORT)
    code = sim.issue_auth_code(SUPPORT, redirect_uri="http://127.0.0.1/cb")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://127.0.0.1/cb",
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
    }
    status, body = post_token(sim_server.url, **form)
    assert status == 200 and body["refresh_token"] and body["access_token"]
    status, body = post_token(sim_server.url, **form)  # single use
    assert (status, body["error"]) == (400, "invalid_grant")
