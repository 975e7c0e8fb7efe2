"""One Cloud KMS key, over its REST API: encrypt and decrypt small values (the data keys of sealed refresh
tokens), bound to additional authenticated data.

REST through google-auth's AuthorizedSession (requests) rather than the gRPC client library: two calls, no new
package, nothing imported before the first use. CLOUD_KMS_EMULATOR_HOST ("http://127.0.0.1:PORT") points it
at a local server without credentials (devstack/kms_server.py), as the other emulators' variables do.
Answers 429 and 5xx (and a connection lost) become TransientError; a ciphertext KMS refuses is ValueError.
Neither the plaintext nor the ciphertext reaches a log or an error message.
"""

from __future__ import annotations

import base64
import os
from typing import Any

import requests

from gmail_tickets.errors import TransientError

EMULATOR_ENV = "CLOUD_KMS_EMULATOR_HOST"
GOOGLE_ENDPOINT = "https://cloudkms.googleapis.com"
SCOPE = "https://www.googleapis.com/auth/cloudkms"


class CloudKmsKey:
    """The key `name` ("projects/P/locations/L/keyRings/R/cryptoKeys/K"); KMS picks its primary version."""

    def __init__(self, name: str, *, endpoint: str | None = None, session: requests.Session | None = None,
                 timeout: float = 10.0) -> None:
        emulator = os.environ.get(EMULATOR_ENV)
        self.name = name
        self._endpoint = (endpoint or emulator or GOOGLE_ENDPOINT).rstrip("/")
        if session is None:
            session = requests.Session() if (endpoint or emulator) else _authorized_session()
        self._session = session
        self._timeout = timeout

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        answer = self._call("encrypt", {"plaintext": _b64(plaintext), "additionalAuthenticatedData": _b64(aad)})
        return base64.b64decode(answer["ciphertext"])

    def decrypt(self, ciphertext: bytes, aad: bytes) -> bytes:
        answer = self._call("decrypt", {"ciphertext": _b64(ciphertext), "additionalAuthenticatedData": _b64(aad)})
        return base64.b64decode(answer["plaintext"])

    def _call(self, method: str, body: dict[str, str]) -> dict[str, Any]:
        url = f"{self._endpoint}/v1/{self.name}:{method}"
        try:
            response = self._session.post(url, json=body, timeout=self._timeout)
        except requests.RequestException as exc:
            raise TransientError(f"cloud kms {method}: {type(exc).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"cloud kms {method}: HTTP {response.status_code}")
        if response.status_code != 200:
            raise ValueError(f"cloud kms {method} refused: HTTP {response.status_code} {_status_of(response)}")
        answer: dict[str, Any] = response.json()
        return answer


def _authorized_session() -> requests.Session:
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=[SCOPE])
    return AuthorizedSession(credentials)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _status_of(response: requests.Response) -> str:
    """Google's error status word (INVALID_ARGUMENT, PERMISSION_DENIED …): never the request's values."""
    try:
        return str(response.json()["error"]["status"])
    except (ValueError, KeyError, TypeError):
        return ""
