"""IapAuth admits only IAP's signed, current assertion for our audience naming an admitted admin; the key cache
refetches on rotation without letting forged key ids hammer Google."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, request
from google.auth import crypt, jwt

from gmail_tickets.web.iap_auth import ASSERTION_HEADER, IAP_ISSUER, IapAuth, IapKeys

AUDIENCE = "/projects/123456/locations/europe-west1/services/admin"
KID = "test-key-1"


class Key:
    """An EC P-256 key pair standing in for one of IAP's signing keys."""

    def __init__(self, kid: str = KID) -> None:
        private = ec.generate_private_key(ec.SECP256R1())
        self.kid = kid
        self.public_pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
        self.signer = crypt.ES256Signer.from_string(private_pem, key_id=kid)

    def sign(self, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"iss": IAP_ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600,
                                  "sub": "accounts.google.com:1", "email": "ana@example.com"}
        claims.update(overrides)
        return jwt.encode(self.signer, {k: v for k, v in claims.items() if v is not None}).decode()


@pytest.fixture(scope="module")
def key() -> Key:
    return Key()


@pytest.fixture
def iap(key: Key) -> IapAuth:
    return IapAuth(AUDIENCE, allowed_emails=["Ana@Example.com"], allowed_domain="corp.example",
                   certs={key.kid: key.public_pem})


def test_valid_assertion_names_the_admin(iap: IapAuth, key: Key) -> None:
    claims = iap.verify(key.sign())
    assert claims is not None and claims["email"] == "ana@example.com"


def test_identify_reads_the_iap_header(iap: IapAuth, key: Key) -> None:
    app = Flask(__name__)
    with app.test_request_context(headers={ASSERTION_HEADER: key.sign(email="ANA@example.com")}):
        assert iap.identify(request) == ("ana@example.com", True)
    with app.test_request_context():
        assert iap.identify(request) is None


def test_allowed_domain_comes_from_hd(iap: IapAuth, key: Key) -> None:
    claims = iap.verify(key.sign(email="bo@corp.example", hd="corp.example"))
    assert claims is not None and claims["admin"]
    # The address alone proves nothing: a personal Google account may be registered on any address.
    claims = iap.verify(key.sign(email="bo@corp.example"))
    assert claims is not None and not claims["admin"]


@pytest.mark.parametrize("claims", [{"email": "eve@example.com"},
                                    {"email": "eve@other.example", "hd": "other.example"}])
def test_a_verified_person_the_settings_do_not_name_is_no_admin(iap: IapAuth, key: Key, claims: dict[str, str]) -> None:
    """Verified, but not an admin by configuration: whether they get in is their agent record's business."""
    verified = iap.verify(key.sign(**claims))
    assert verified is not None and verified["email"] == claims["email"] and verified["admin"] is False


def _tampered(token: str) -> str:
    """The payload rewritten to name an admin, the signature left as it was."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["email"] = "ana@example.com"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return ".".join([header, forged, signature])


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda k: _tampered(k.sign(email="eve@example.com")), id="tampered payload"),
        pytest.param(lambda k: Key(KID).sign(), id="signed by another key"),
        pytest.param(lambda k: Key("unknown").sign(), id="unknown key id"),
        pytest.param(lambda k: k.sign(aud="/projects/123456/apps/other"), id="wrong audience"),
        pytest.param(lambda k: k.sign(aud=None), id="no audience"),
        pytest.param(lambda k: k.sign(iss="https://accounts.google.com"), id="wrong issuer"),
        pytest.param(lambda k: k.sign(iat=int(time.time()) - 3600, exp=int(time.time()) - 600), id="expired"),
        pytest.param(lambda k: k.sign(iat=int(time.time()) + 600), id="issued in the future"),
        pytest.param(lambda k: k.sign(email=None), id="no email"),
        pytest.param(lambda k: "not.a.jwt", id="garbage"),
        pytest.param(lambda k: "", id="empty"),
    ],
)
def test_refused(iap: IapAuth, key: Key, make: Callable[[Key], str]) -> None:
    assert iap.verify(make(key)) is None


def test_unsigned_or_other_algorithm_is_refused(iap: IapAuth, key: Key) -> None:
    header, payload, _ = key.sign().split(".")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"test-key-1"}').decode().rstrip("=")
    assert iap.verify(f"{none_header}.{payload}.") is None
    assert iap.verify(f"{header}.{payload}.") is None


def test_misconfiguration_fails_closed() -> None:
    with pytest.raises(ValueError, match="audience"):
        IapAuth("", allowed_emails=["a@example.com"])
    with pytest.raises(ValueError, match="no admins"):
        IapAuth(AUDIENCE)


class FakeKeyServer:
    def __init__(self, keys: dict[str, str]) -> None:
        self.keys = keys
        self.calls = 0
        self.fail = False

    def __call__(self) -> dict[str, str]:
        self.calls += 1
        if self.fail:
            raise OSError("gstatic unreachable")
        return dict(self.keys)


def test_keys_are_cached_and_refetched_on_rotation(key: Key) -> None:
    server = FakeKeyServer({key.kid: key.public_pem})
    now = [1000.0]
    iap = IapAuth(AUDIENCE, allowed_emails=["ana@example.com"],
                  keys=IapKeys(server, max_age=3600, min_refetch=30, clock=lambda: now[0]))
    assert iap.verify(key.sign()) is not None
    assert iap.verify(key.sign()) is not None
    assert server.calls == 1  # cached

    rotated = Key("rotated")
    server.keys[rotated.kid] = rotated.public_pem
    now[0] += 31
    assert iap.verify(rotated.sign()) is not None  # an unknown key id: refetched
    assert server.calls == 2

    forged = Key("forged")
    for _ in range(5):
        assert iap.verify(forged.sign()) is None
    assert server.calls == 2  # unknown ids within the refetch interval do not reach the key server

    now[0] += 3600
    server.fail = True
    assert iap.verify(key.sign()) is not None  # stale and the refetch failed: the keys we had still serve
    assert server.calls == 3
    assert iap.verify(key.sign()) is not None
    assert server.calls == 3  # and the failed refetch is not retried on every request
