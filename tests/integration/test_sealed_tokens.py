"""Refresh tokens sealed under one KMS key in Firestore (adapters/sealed_tokens.py), against Google's Firestore
emulator and the local Cloud KMS server over REST; and the whole product wired with GT_TOKEN_KMS_KEY, syncing a
simulated mailbox with its access token cached."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.gmail_sim import GmailSimulator, SimConfig, SimServer
from devstack.kms_server import KmsServer
from gmail_tickets import bootstrap, secret_names
from gmail_tickets.adapters.cloud_kms import CloudKmsKey
from gmail_tickets.adapters.firestore_store import FirestoreStore
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.adapters.local_secrets import FileSecrets
from gmail_tickets.adapters.sealed_tokens import COLLECTION, SealedRefreshTokens
from gmail_tickets.errors import TransientError
from gmail_tickets.services.connect import connect_mailbox
from gmail_tickets.services.refresh_tokens import SecretRefreshTokens
from gmail_tickets.services.sync_mailbox import sync_mailbox
from tests.integration.ingest_harness import FAST_RETRY, customer_mail

pytestmark = pytest.mark.firestore

KEY = "projects/demo-test/locations/europe-west1/keyRings/gmail-tickets/cryptoKeys/refresh-tokens"
SUPPORT = "support@example.com"
TOKEN = "1//a-refresh-token-that-must-never-be-stored-in-the-clear"


@pytest.fixture
def kms() -> Iterator[KmsServer]:
    with KmsServer() as server:
        yield server


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}_"


@pytest.fixture
def legacy(tmp_path: Path) -> SecretRefreshTokens:
    return SecretRefreshTokens(FileSecrets(tmp_path / "secrets.json"))


@pytest.fixture
def sealed(firestore_client: Any, kms: KmsServer, prefix: str, legacy: SecretRefreshTokens) -> SealedRefreshTokens:
    return SealedRefreshTokens(firestore_client, CloudKmsKey(KEY, endpoint=kms.endpoint), prefix=prefix,
                               fallback=legacy)


def _document(firestore_client: Any, prefix: str, address: str) -> dict[str, Any]:
    snapshot = firestore_client.collection(prefix + COLLECTION).document(secret_names.refresh_token(address)).get()
    return snapshot.to_dict() or {}


def test_a_token_is_stored_sealed_and_reads_back(sealed: SealedRefreshTokens, firestore_client: Any,
                                                 prefix: str, kms: KmsServer) -> None:
    sealed.put(SUPPORT, TOKEN)

    stored = _document(firestore_client, prefix, SUPPORT)
    assert TOKEN.encode() not in b"".join(v for v in stored.values() if isinstance(v, bytes))
    assert TOKEN not in repr(stored)
    assert stored["kms_key"] == KEY
    assert sealed.get(SUPPORT) == TOKEN
    assert sealed.get(SUPPORT) == TOKEN  # the same sealed token again: opened once per process
    assert kms.calls == {"encrypt": 1, "decrypt": 1}

    sealed.put(SUPPORT, "1//reconnected")  # sealed anew: the changed document is opened again
    assert sealed.get(SUPPORT) == "1//reconnected"
    assert kms.calls == {"encrypt": 2, "decrypt": 2}


def test_a_sealed_token_copied_onto_another_mailbox_does_not_open(sealed: SealedRefreshTokens, firestore_client: Any,
                                                                  prefix: str) -> None:
    sealed.put(SUPPORT, TOKEN)
    copied = _document(firestore_client, prefix, SUPPORT)
    firestore_client.collection(prefix + COLLECTION).document(
        secret_names.refresh_token("sales@example.com")).set(copied)
    with pytest.raises(ValueError) as refused:
        sealed.get("sales@example.com")
    assert TOKEN not in str(refused.value)


def test_a_token_kept_as_a_secret_before_is_read_and_moved_on_the_next_put(
        sealed: SealedRefreshTokens, legacy: SecretRefreshTokens) -> None:
    legacy.put(SUPPORT, "1//old")
    assert sealed.get(SUPPORT) == "1//old"  # a deployment switching to sealed tokens keeps working

    sealed.put(SUPPORT, TOKEN)  # the next connect
    assert legacy.get(SUPPORT) is None and sealed.get(SUPPORT) == TOKEN

    sealed.delete(SUPPORT)
    assert sealed.get(SUPPORT) is None and legacy.get(SUPPORT) is None


def test_kms_unavailable_is_transient(firestore_client: Any, kms: KmsServer, prefix: str) -> None:
    writer = SealedRefreshTokens(firestore_client, CloudKmsKey(KEY, endpoint=kms.endpoint), prefix=prefix)
    reader = SealedRefreshTokens(firestore_client, CloudKmsKey(KEY, endpoint=kms.endpoint), prefix=prefix)
    writer.put(SUPPORT, TOKEN)
    kms.fail_next(503)
    with pytest.raises(TransientError):
        reader.get(SUPPORT)
    assert reader.get(SUPPORT) == TOKEN


def test_the_product_with_a_kms_key_seals_tokens_and_syncs_from_its_cache(
        firestore_emulator: Any, firestore_client: Any, kms: KmsServer, prefix: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sim = GmailSimulator(SimConfig(seed=3))
    sim.add_mailbox(SUPPORT)
    server = SimServer(sim, host="127.0.0.1", port=0).start()
    monkeypatch.setenv("CLOUD_KMS_EMULATOR_HOST", kms.endpoint)
    try:
        config = bootstrap.Config(gmail_root_url=server.url, token_uri=server.url.rstrip("/") + "/token",
                                  oauth_client_id=sim.config.client_id, token_kms_key=KEY,
                                  secrets_file=str(tmp_path / "secrets.json"))
        deps = bootstrap.build(config, store=FirestoreStore(firestore_client, prefix), publisher=LocalPublisher(),
                               gmail_retry=FAST_RETRY)
        deps.secrets.put(secret_names.OAUTH_CLIENT_SECRET, sim.config.client_secret)
        connect_mailbox(deps, SUPPORT, sim.credentials(SUPPORT).refresh_token, watch=False)

        assert deps.secrets.get(secret_names.refresh_token(SUPPORT)) is None  # not a secret any more
        assert _document(firestore_client, prefix, SUPPORT)["kms_key"] == KEY
        calls = dict(kms.calls)
        sim.deliver(SUPPORT, customer_mail(to=SUPPORT))
        assert sync_mailbox(deps, SUPPORT).outcomes["ticket"] == 1
        assert kms.calls == calls  # the access token was cached: no token read, so no KMS call
    finally:
        server.stop()
        sim.close()
