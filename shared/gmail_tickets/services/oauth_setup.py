"""The deployer's OAuth client, as connecting a Gmail account needs it: where to send the admin's browser, and
the client that exchanges the code Google sends back and revokes tokens.

Bootstrap builds it (`bootstrap.oauth_setup`) for every way of connecting: the console's pages, and the `connect`
command on one machine. Here it is only the shape, so the services and the web layer never import an adapter.
"""

from __future__ import annotations

from dataclasses import dataclass

from gmail_tickets.ports import OAuthClient


@dataclass(frozen=True)
class OAuthSetup:
    client_id: str
    auth_uri: str  # Google's consent page (the simulator's in the demo and tests)
    client: OAuthClient  # code exchange, account check, revocation (adapters.google_oauth.GoogleOAuth)
