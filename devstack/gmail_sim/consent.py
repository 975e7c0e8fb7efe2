"""Google's consent page (accounts.google.com/o/oauth2/v2/auth) for the simulator's mailboxes.

GET validates the request as Google does and answers "Choose an account": one button per mailbox (the
login_hint account first and marked), plus Cancel. The form POSTs back to the same URL, so a test can
click with a browser or post `account=<address>` (or `cancel=1`) with urllib without reading the page.
Choosing redirects to `redirect_uri?code=&state=&scope=`; Cancel to `redirect_uri?error=access_denied&state=`.
Errors Google shows as a page rather than a redirect (bad client, bad redirect_uri, bad request) are pages
here too: 401 invalid_client, else 400.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit

from .calls import Reply
from .config import GMAIL_SCOPE

if TYPE_CHECKING:
    from .simulator import GmailSimulator

AUTH_PATHS = ("/o/oauth2/v2/auth", "/o/oauth2/auth")
HTML_TYPE = "text/html; charset=utf-8"


class ConsentError(Exception):
    """A request Google refuses with an error page (never a redirect: the redirect_uri may be untrusted)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description


@dataclass(frozen=True)
class AuthRequest:
    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    code_challenge: str | None
    code_challenge_method: str
    offline: bool
    force_consent: bool
    login_hint: str


def _one(query: dict[str, list[str]], name: str) -> str:
    values = query.get(name)
    return values[0] if values else ""


def parse_request(sim: GmailSimulator, query: dict[str, list[str]]) -> AuthRequest:
    """Validate in Google's order: client first, then redirect_uri, then the rest."""
    client_id = _one(query, "client_id")
    if not client_id:
        raise ConsentError(400, "invalid_request", "Missing required parameter: client_id")
    if not sim.tokens.has_client(client_id):
        raise ConsentError(401, "invalid_client", "The OAuth client was not found.")
    redirect_uri = _one(query, "redirect_uri")
    if not redirect_uri:
        raise ConsentError(400, "invalid_request", "Missing required parameter: redirect_uri")
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise ConsentError(400, "invalid_request", f"Invalid parameter value for redirect_uri: {redirect_uri}")
    response_type = _one(query, "response_type")
    if not response_type:
        raise ConsentError(400, "invalid_request", "Required parameter is missing: response_type")
    if response_type != "code":
        raise ConsentError(400, "unsupported_response_type", f"Unsupported response type: {response_type}")
    scopes = list(dict.fromkeys(_one(query, "scope").split()))
    if not scopes:
        raise ConsentError(400, "invalid_request", "Missing required parameter: scope")
    if GMAIL_SCOPE not in scopes:
        raise ConsentError(400, "invalid_scope", f"The simulator grants only requests that include {GMAIL_SCOPE}")
    challenge = _one(query, "code_challenge") or None
    method = _one(query, "code_challenge_method")
    if method and challenge is None:
        raise ConsentError(400, "invalid_request", "Missing required parameter: code_challenge")
    if method not in ("", "S256", "plain"):
        raise ConsentError(400, "invalid_request", f"Invalid code_challenge_method: {method}")
    access_type = _one(query, "access_type") or "online"
    if access_type not in ("online", "offline"):
        raise ConsentError(400, "invalid_request", f"Invalid access_type: {access_type}")
    prompts = set(_one(query, "prompt").split())
    if not prompts <= {"consent", "select_account"}:
        raise ConsentError(400, "invalid_request", "Only prompt=consent and select_account are simulated")
    return AuthRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=" ".join(scopes),
        state=query["state"][0] if "state" in query else None,
        code_challenge=challenge,
        code_challenge_method=method or "plain",
        offline=access_type == "offline",
        force_consent="consent" in prompts,
        login_hint=_one(query, "login_hint"),
    )


def _redirect(req: AuthRequest, params: dict[str, str]) -> Reply:
    if req.state is not None:
        params["state"] = req.state
    separator = "&" if urlsplit(req.redirect_uri).query else "?"
    return Reply(302, b"", HTML_TYPE, [("Location", req.redirect_uri + separator + urlencode(params))])


def _page(title: str, main: str, status: int = 200) -> Reply:
    body = (
        '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} – Google Accounts (simulator)</title></head>\n"
        f"<body>\n<main>\n{main}\n</main>\n</body>\n</html>\n"
    )
    return Reply(status, body.encode("utf-8"), HTML_TYPE)


def error_page(error: ConsentError) -> Reply:
    main = (
        '<h1 id="title">Access blocked: Authorization Error</h1>\n'
        f'<p role="alert">Error {error.status}: <code>{html.escape(error.error)}</code></p>\n'
        f"<p>{html.escape(error.description)}</p>"
    )
    return _page("Error", main, error.status)


def _accounts(sim: GmailSimulator, hint: str) -> list[str]:
    """The mailboxes, the login_hint account first (Google lists the hinted account on top)."""
    return sorted(sim.mailboxes(), key=lambda a: a.lower() != hint.lower())


def choose_account_page(sim: GmailSimulator, req: AuthRequest, action: str) -> Reply:
    items = []
    for address in _accounts(sim, req.login_hint):
        a = html.escape(address)
        if address.lower() == req.login_hint.lower():
            items.append(
                f'<li data-account="{a}" data-login-hint="true"><button type="submit" name="account" value="{a}" '
                f'aria-describedby="hint-note" autofocus>{a}</button> <span id="hint-note">(suggested)</span></li>'
            )
        else:
            items.append(f'<li data-account="{a}"><button type="submit" name="account" value="{a}">{a}</button></li>')
    listing = "\n".join(items) if items else "<li>No accounts</li>"
    main = (
        '<h1 id="title">Choose an account</h1>\n'
        f"<p>to continue to <strong>{html.escape(req.client_id)}</strong></p>\n"
        f'<form method="post" action="{html.escape(action)}" aria-labelledby="title">\n'
        f'<ul aria-label="Accounts">\n{listing}\n</ul>\n'
        f"<p>The app asks for: {html.escape(req.scope)}</p>\n"
        '<button type="submit" name="cancel" value="1">Cancel</button>\n'
        "</form>"
    )
    return _page("Choose an account", main)


def handle_consent(sim: GmailSimulator, verb: str, path: str, query: dict[str, list[str]], body: bytes) -> Reply:
    """GET: the page (or an error page). POST (form `account=` or `cancel=`): the redirect to the app."""
    try:
        req = parse_request(sim, query)
    except ConsentError as error:
        return error_page(error)
    if verb == "GET":
        return choose_account_page(sim, req, f"{path}?{urlencode(query, doseq=True)}")
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    if "cancel" in form:
        return _redirect(req, {"error": "access_denied"})
    chosen = _one(form, "account").lower()
    address = next((a for a in sim.mailboxes() if a.lower() == chosen), None)
    if address is None:
        return error_page(ConsentError(400, "invalid_request", f"No such account: {_one(form, 'account')}"))
    code = sim.tokens.issue_code(
        address,
        req.redirect_uri,
        client_id=req.client_id,
        code_challenge=req.code_challenge,
        code_challenge_method=req.code_challenge_method,
        scope=req.scope,
        offline=req.offline,
        force_consent=req.force_consent,
    )
    return _redirect(req, {"code": code, "scope": req.scope})
