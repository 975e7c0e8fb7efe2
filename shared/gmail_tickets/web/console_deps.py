"""Everything the console needs, in the one object `create_app` takes. Bootstrap builds it for each place the
console runs (the admin function behind IAP, one machine behind an admin secret); tests build it directly."""

from __future__ import annotations

from dataclasses import dataclass

from gmail_tickets.ports import TxtLookup
from gmail_tickets.ports.presence import Presence
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.oauth_setup import OAuthSetup
from gmail_tickets.web.auth import AdminAuth


@dataclass(frozen=True)
class ConsoleDeps:
    deps: Deps  # its `jobs` decide where a connection's import runs (a thread, or before the callback answers)
    admin_auth: AdminAuth
    secret_key: str | bytes  # signs the session cookie
    oauth: OAuthSetup | None = None  # None: the connect pages answer 503
    relay_spf_include: str | None = None  # the relay's SPF include for the DNS guidance; None: no relay set up
    dns_lookup: TxtLookup | None = None  # "Check now" of a domain's relay records; None: not offered
    gmail_push: bool = True  # connecting sets up users.watch; not on one machine, which has no Pub/Sub topic
    cookie_secure: bool = False  # True wherever the console is served over HTTPS (the cloud)
    session_idle_seconds: float = 12 * 3600  # a signed-in session unused this long ends (embedded console)
    session_max_seconds: float = 24 * 3600  # and any ends this long after sign-in
    presence: Presence | None = None  # who is typing where; None: in this process's memory (one machine)
