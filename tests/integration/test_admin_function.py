"""The `admin` function served by functions-framework: the whole console, and nothing of it without IAP's signed
assertion; admins from the admin settings, agents from their records, and anyone else asked to get invited. IAP's
keys are replaced by a test key (GT_IAP_CERTS_FILE)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from google.auth import crypt, jwt

from devstack.emulators import free_port
from gmail_tickets import bootstrap
from gmail_tickets.web import ConsoleDeps, create_app
from gmail_tickets.web.iap_auth import ASSERTION_HEADER, IAP_ISSUER, IapAuth

REPO = Path(__file__).resolve().parents[2]
AUDIENCE = "/projects/123456/locations/europe-west1/services/admin"
ADMIN = "ana@example.com"
KID = "test-key"


def _pem_pair() -> tuple[bytes, str]:
    private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private_pem, public_pem


PRIVATE_PEM, PUBLIC_PEM = _pem_pair()
SIGNER = crypt.ES256Signer.from_string(PRIVATE_PEM, key_id=KID)


def assertion(email: str = ADMIN, signer: crypt.Signer = SIGNER) -> str:
    now = int(time.time())
    claims = {"iss": IAP_ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600, "email": email,
              "sub": "accounts.google.com:1"}
    return jwt.encode(signer, claims).decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def call(url: str, method: str = "GET", headers: dict[str, str] | None = None,
         body: bytes | None = None) -> tuple[int, Any, str]:
    """(status, headers, text) without following redirects."""
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with _OPENER.open(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    state = tmp_path_factory.mktemp("admin")
    certs = state / "iap-certs.json"
    certs.write_text(json.dumps({KID: PUBLIC_PEM}))
    return {
        **os.environ,
        "GT_STORE": "sqlite",
        "GT_SQLITE_PATH": str(state / "store.sqlite"),
        "GT_BLOBS_DIR": str(state / "blobs"),
        "GT_SECRETS_FILE": str(state / "secrets.json"),
        "GT_PUBLISHER": "local",
        "GT_IAP_AUDIENCE": AUDIENCE,
        "GT_ADMIN_EMAILS": f"{ADMIN}, bo@example.com",
        "GT_IAP_CERTS_FILE": str(certs),
    }


@pytest.fixture(scope="module")
def admin_url(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("admin-log") / "admin.log"
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("functions-framework")), "--source", str(REPO / "functions" / "main.py"),
         "--target", "admin", "--signature-type", "http", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/favicon.ico", timeout=0.2)  # answered by the framework itself
            except urllib.error.HTTPError:
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _console_paths(env: dict[str, str]) -> list[tuple[str, str]]:
    """(method, path) for every console route, from the app's own url_map: a route added later is covered."""
    deps = bootstrap.build(bootstrap.Config.from_env(env))
    app = create_app(ConsoleDeps(deps, admin_auth=IapAuth(AUDIENCE, allowed_emails=[ADMIN], certs={KID: PUBLIC_PEM}),
                                 secret_key="test"))
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            args = {name: 1 if converter == "int" else "support@example.com"
                    for converter, name in re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", rule.rule)}
            path = app.url_for(rule.endpoint, **args)
            found += [(method, path) for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})]
    return found


@pytest.mark.parametrize(
    ("make_headers", "expected"),
    [pytest.param(dict, 401, id="no assertion"),
     pytest.param(lambda: {ASSERTION_HEADER: assertion("eve@example.com")}, 403, id="no agent record"),
     pytest.param(lambda: {ASSERTION_HEADER: assertion(
         signer=crypt.ES256Signer.from_string(_pem_pair()[0], key_id=KID))}, 401, id="signed by another key")],
)
def test_every_console_route_needs_an_assertion_of_someone_admitted(
        admin_url: str, env: dict[str, str], make_headers: Callable[[], dict[str, str]], expected: int) -> None:
    headers = make_headers()  # made now, not when the tests were collected: an assertion lives 10 minutes
    paths = _console_paths(env)
    assert len(paths) >= 15
    for method, path in paths:
        status, _, page = call(admin_url + path, method, headers, b"" if method == "POST" else None)
        assert status == expected, (method, path)
        if expected == 403:
            assert "Ask an admin to invite you" in page and "eve@example.com" in page


def test_an_agent_record_admits_its_google_identity_as_an_agent(admin_url: str, env: dict[str, str]) -> None:
    from gmail_tickets.domain.people import Agent

    bootstrap.build(bootstrap.Config.from_env(env)).store.save_agent(Agent("cy@example.com", "Cy"))
    header = {ASSERTION_HEADER: assertion("Cy@Example.com")}
    status, _, page = call(admin_url + "/tickets", headers=header)
    assert status == 200 and "Signed in as" in page and "Cy" in page
    assert call(admin_url + "/addresses", headers=header)[0] == 403
    assert call(admin_url + "/agents", headers={ASSERTION_HEADER: assertion()})[0] == 200  # the configured admin


def test_admin_sees_the_tickets_page(admin_url: str) -> None:
    status, headers, page = call(admin_url + "/tickets", headers={ASSERTION_HEADER: assertion("Ana@Example.com")})
    assert status == 200
    assert "<h1>Tickets</h1>" in page and 'aria-label="Main"' in page
    assert "Secure" in headers["Set-Cookie"] and "HttpOnly" in headers["Set-Cookie"]
    status, headers, _ = call(admin_url + "/", headers={ASSERTION_HEADER: assertion()})
    assert status == 302 and headers["Location"].endswith("/tickets")
    status, headers, _ = call(admin_url + "/sign-in", headers={ASSERTION_HEADER: assertion()})
    assert status == 302 and headers["Location"].endswith("/tickets")  # IAP has signed them in: nothing to type


def test_session_cookie_alone_is_not_enough(admin_url: str) -> None:
    """A cookie got through IAP, replayed on a request that bypassed it, is refused."""
    _, headers, _ = call(admin_url + "/tickets", headers={ASSERTION_HEADER: assertion()})
    cookie = headers["Set-Cookie"].split(";")[0]
    status, _, _ = call(admin_url + "/tickets", headers={"Cookie": cookie})
    assert status == 401


def test_forms_post_through_the_function(admin_url: str) -> None:
    """Form bodies reach the console (CSRF token and all) through the function's dispatch."""
    header = {ASSERTION_HEADER: assertion()}
    _, headers, page = call(admin_url + "/tickets", headers=header)
    cookie = headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    # Served over HTTPS, so Flask-WTF also wants a same-origin Referer (browsers send one: Referrer-Policy same-origin).
    referer = admin_url.replace("http://", "https://") + "/tickets"
    form = {**header, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded", "Referer": referer}
    status, _, _ = call(admin_url + "/sign-out", "POST", form, b"csrf_token=wrong")
    assert status == 400
    status, headers, _ = call(admin_url + "/sign-out", "POST", form, f"csrf_token={token[1]}".encode())
    assert status == 302
