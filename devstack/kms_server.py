"""Cloud KMS's encrypt and decrypt over REST, on localhost, for tests and the devstack: what the product's
CloudKmsKey (shared/gmail_tickets/adapters/cloud_kms.py) calls, answered as Google answers it.

    POST /v1/projects/P/locations/L/keyRings/R/cryptoKeys/K:encrypt
         {"plaintext": b64, "additionalAuthenticatedData": b64?}  → {"name": ".../cryptoKeyVersions/1",
                                                                    "ciphertext": b64}
    POST /v1/...cryptoKeys/K:decrypt {"ciphertext": b64, "additionalAuthenticatedData": b64?} → {"plaintext": b64}

Each key name gets its own random AES-256 key on first use (kept in memory). A ciphertext that does not open
under its key and data answers 400 INVALID_ARGUMENT, as Google does. `calls` counts requests per method, for
tests that count KMS operations; `fail_next(status)` makes the next request answer `status`.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_PATH = re.compile(r"^/v1/(projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/:]+):(encrypt|decrypt)$")


class KmsServer:
    """`with KmsServer() as kms:` serves on 127.0.0.1 (a free port); `kms.endpoint` is its base URL."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._keys: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.calls: dict[str, int] = {}
        self._failures: list[int] = []
        self._http = ThreadingHTTPServer((host, port), self._handler())
        self._http.daemon_threads = True
        self.endpoint = f"http://{host}:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, name="kms", daemon=True)

    def __enter__(self) -> KmsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    def fail_next(self, status: int, count: int = 1) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        match = _PATH.match(path)
        if match is None:
            return 404, _error(404, "NOT_FOUND", "no such method")
        name, method = match.groups()
        with self._lock:
            self.calls[method] = self.calls.get(method, 0) + 1
            if self._failures:
                status = self._failures.pop(0)
                return status, _error(status, "UNAVAILABLE", "injected failure")
            key = self._keys.setdefault(name, os.urandom(32))
        aad = base64.b64decode(body.get("additionalAuthenticatedData", "")) or None
        if method == "encrypt":
            nonce = os.urandom(12)
            sealed = nonce + AESGCM(key).encrypt(nonce, base64.b64decode(body["plaintext"]), aad)
            return 200, {"name": f"{name}/cryptoKeyVersions/1", "ciphertext": base64.b64encode(sealed).decode()}
        sealed = base64.b64decode(body.get("ciphertext", ""))
        try:
            plain = AESGCM(key).decrypt(sealed[:12], sealed[12:], aad)
        except (InvalidTag, ValueError):
            return 400, _error(400, "INVALID_ARGUMENT", "Decryption failed: the ciphertext is invalid.")
        return 200, {"plaintext": base64.b64encode(plain).decode()}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    status, answer = 400, _error(400, "INVALID_ARGUMENT", "not JSON")
                else:
                    status, answer = server.answer(self.path, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _error(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "status": status, "message": message}}
