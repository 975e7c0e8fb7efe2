"""Refresh tokens sealed under one Cloud KMS key, kept in Firestore: the cloud's `RefreshTokens` store
(docs/tokens.md says why: one Secret Manager version per mailbox costs $0.06 a month, the whole KMS key
$0.06).

Envelope encryption: each token is encrypted with AES-256-GCM under a data key of its own, made for it; the data
key is encrypted (wrapped) by the KMS key; both are bound to the mailbox's address as additional data, so a
sealed token copied onto another mailbox's document does not open. One document per mailbox in
`<prefix>refresh_tokens/{secret name}`: {wrapped_key, nonce, ciphertext, kms_key, updated_at}. The
access-token cache (mailbox_tokens.py) reads a token about once an hour per mailbox and instance, not once a
sync; each read is one Firestore read, and a KMS decrypt only the first time this process sees that sealed
token (the opened tokens are kept by their wrapped key, least recently used dropped first): a reconnect seals
anew, so the changed document is opened again. The process can call KMS at will, so keeping what it opened adds
no power to a process that is compromised.

`fallback` is where tokens were kept before (per-mailbox secrets): a mailbox with no sealed document is read
from there, so a deployment switching keeps working, and `put` and `delete` remove the old secret too (a
reconnect moves the token; no token outlives its mailbox in either place).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gmail_tickets import secret_names
from gmail_tickets.adapters.firestore_store.client import translated
from gmail_tickets.ports import RefreshTokens

COLLECTION = "refresh_tokens"


class KmsKey(Protocol):
    """adapters/cloud_kms.CloudKmsKey."""

    name: str

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes: ...
    def decrypt(self, ciphertext: bytes, aad: bytes) -> bytes: ...


class SealedRefreshTokens:
    """`RefreshTokens` as sealed documents in Firestore (`client`: a firestore.Client)."""

    def __init__(self, client: Any, key: KmsKey, *, prefix: str = "", fallback: RefreshTokens | None = None,
                 capacity: int = 10_000) -> None:
        self._collection = client.collection(prefix + COLLECTION)
        self._key = key
        self._fallback = fallback
        self._opened: OrderedDict[bytes, str] = OrderedDict()  # wrapped key → token (unique per sealing)
        self._capacity = capacity
        self._lock = threading.Lock()
        self.kms_calls = 0

    def get(self, address: str) -> str | None:
        with translated():
            snapshot = self._doc(address).get()
        if not snapshot.exists:
            return self._fallback.get(address) if self._fallback is not None else None
        return self.unseal(address, snapshot.to_dict() or {})

    def put(self, address: str, token: str) -> None:
        sealed = self.seal(address, token)
        with translated():
            self._doc(address).set(sealed)
        if self._fallback is not None:
            self._fallback.delete(address)  # moved: the old copy must not outlive this one

    def delete(self, address: str) -> None:
        with translated():
            self._doc(address).delete()
        if self._fallback is not None:
            self._fallback.delete(address)

    def seal(self, address: str, token: str) -> dict[str, Any]:
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        aad = _aad(address)
        ciphertext = AESGCM(data_key).encrypt(nonce, token.encode("utf-8"), aad)
        self.kms_calls += 1
        wrapped = self._key.encrypt(data_key, aad)
        return {"wrapped_key": wrapped, "nonce": nonce, "ciphertext": ciphertext, "kms_key": self._key.name,
                "updated_at": datetime.now(UTC)}

    def unseal(self, address: str, sealed: dict[str, Any]) -> str:
        wrapped = bytes(sealed["wrapped_key"])
        memo = _aad(address) + b"\0" + wrapped
        with self._lock:
            if memo in self._opened:
                self._opened.move_to_end(memo)
                return self._opened[memo]
        aad = _aad(address)
        self.kms_calls += 1
        data_key = self._key.decrypt(wrapped, aad)
        try:
            plain = AESGCM(data_key).decrypt(bytes(sealed["nonce"]), bytes(sealed["ciphertext"]), aad)
        except InvalidTag:
            raise ValueError(f"the sealed refresh token of {address} does not open") from None
        token = plain.decode("utf-8")
        with self._lock:
            self._opened[memo] = token
            while len(self._opened) > self._capacity:
                self._opened.popitem(last=False)
        return token

    def _doc(self, address: str) -> Any:
        return self._collection.document(secret_names.refresh_token(address))


def _aad(address: str) -> bytes:
    return b"gmail-tickets refresh token:" + address.lower().encode("utf-8")
