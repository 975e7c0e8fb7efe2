"""Google's OAuth endpoints over HTTP: exchange an authorization code (with its PKCE verifier), revoke a token,
and ask Gmail whose account a fresh access token opens.

oauthlib builds the token request and validates Google's answer (error JSON → a typed error); requests carries
it. We call oauthlib's body/response helpers rather than its `prepare_token_request`, whose https-only check
would shut out the simulator on http://127.0.0.1. Nothing raised from here contains a token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from google.oauth2.credentials import Credentials
from oauthlib.oauth2 import OAuth2Error, WebApplicationClient

from gmail_tickets.adapters.gmail_api import GmailMailbox
from gmail_tickets.adapters.gmail_client import GMAIL_SCOPE, GOOGLE_TOKEN_URI
from gmail_tickets.errors import OAuthRefused, TransientError
from gmail_tickets.google_endpoints import GOOGLE_REVOKE_URI
from gmail_tickets.ports import TokenGrant


class GoogleOAuth:
    """The `OAuthClient` the connect use cases need, for one OAuth client (the deployer's own). The client
    secret may be given as a function, read at each exchange: it lives in Secrets and may be set after wiring."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str | Callable[[], str],
        token_uri: str = GOOGLE_TOKEN_URI,
        revoke_uri: str = GOOGLE_REVOKE_URI,
        gmail_root_url: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_uri = token_uri
        self._revoke_uri = revoke_uri
        self._root_url = gmail_root_url
        self._timeout = timeout

    def exchange_code(self, code: str, *, redirect_uri: str, code_verifier: str) -> TokenGrant:
        client = WebApplicationClient(self._client_id)
        body = client.prepare_request_body(
            code=code, redirect_uri=redirect_uri, code_verifier=code_verifier,
            include_client_id=True,
            client_secret=self._client_secret() if callable(self._client_secret) else self._client_secret,
        )
        response = self._post(self._token_uri, body)
        if response.status_code >= 500:
            raise TransientError(f"Google's token endpoint answered {response.status_code}")
        try:
            token: dict[str, Any] = client.parse_request_body_response(response.text, scope=[GMAIL_SCOPE])
        except OAuth2Error as exc:
            raise OAuthRefused(exc.error, exc.description or "") from None
        except Warning as exc:  # oauthlib: the granted scope differs from the one asked for
            token = getattr(exc, "token", {})
        except ValueError:  # not JSON, no access token …
            raise OAuthRefused("invalid_response", f"HTTP {response.status_code}") from None
        scopes = token.get("scope") or [GMAIL_SCOPE]
        if GMAIL_SCOPE not in scopes:
            raise OAuthRefused("insufficient_scope", "the Gmail permission was not granted (unticked on Google's page)")
        expires = token.get("refresh_token_expires_in")
        return TokenGrant(
            access_token=str(token["access_token"]),
            refresh_token=token.get("refresh_token"),
            scopes=tuple(scopes),
            refresh_token_expires_in=int(expires) if expires is not None else None,
        )

    def revoke(self, token: str) -> bool:
        """Revoke the grant behind `token`. False when Google says it is already invalid."""
        response = self._post(self._revoke_uri, requests.compat.urlencode({"token": token}))
        if response.status_code == 200:
            return True
        if response.status_code == 400:
            return False
        raise TransientError(f"Google's revocation endpoint answered {response.status_code}")

    def account_of(self, access_token: str) -> str:
        """The address of the Gmail account that `access_token` opens (users.getProfile)."""
        mailbox = GmailMailbox("me", Credentials(token=access_token), self._root_url, timeout=self._timeout)
        try:
            return mailbox.profile().email_address
        finally:
            mailbox.close()

    def _post(self, url: str, body: str) -> requests.Response:
        try:
            return requests.post(
                url, data=body, timeout=self._timeout,
                headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            )
        except requests.RequestException as exc:
            raise TransientError(f"cannot reach Google's OAuth endpoint: {type(exc).__name__}") from None
