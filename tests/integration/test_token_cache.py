"""Access tokens cached in memory, and stale Gmail pushes dropped with one read, against the real parts: the Gmail
simulator over HTTP (its OAuth token endpoint counted), the local Secret Manager server (its AccessSecretVersion
calls counted), SQLite, and the product wired by bootstrap as a function instance wires it."""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from devstack.gmail_sim import GmailSimulator, SimConfig, SimServer
from devstack.secret_manager_server import SecretManagerServer
from gmail_tickets import bootstrap, secret_names
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.adapters.secret_manager import SecretManagerSecrets, default_retry
from gmail_tickets.adapters.sqlite_store import SqliteStore
from gmail_tickets.domain.model import ConnectionStatus
from gmail_tickets.services import accounts
from gmail_tickets.services.connect import connect_mailbox
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.ingest import ingest_event
from gmail_tickets.services.sync_mailbox import sync_mailbox
from tests.integration.ingest_harness import FAST_RETRY, customer_mail

pytestmark = pytest.mark.secretmanager

SUPPORT = "support@example.com"


@dataclass
class CountingStore:
    """The real store; every method called on it is counted by name."""

    inner: Any
    calls: Counter[str] = field(default_factory=Counter)

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if not callable(target):
            return target

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return target(*args, **kwargs)

        return counted


@dataclass
class Cloud:
    sim: GmailSimulator
    server: SimServer
    secrets_server: SecretManagerServer
    secrets: SecretManagerSecrets
    store: SqliteStore
    refreshes: list[str] = field(default_factory=list)  # the refresh token of each refresh grant, in order

    def instance(self) -> Deps:
        """A function instance of the product on the shared store and secrets: its own caches and clients."""
        config = bootstrap.Config(gmail_root_url=self.server.url, token_uri=self.server.url.rstrip("/") + "/token",
                                  oauth_client_id=self.sim.config.client_id, secrets="secretmanager")
        return bootstrap.build(config, store=self.store, secrets=self.secrets, publisher=LocalPublisher(),
                               gmail_retry=FAST_RETRY)

    def secret_reads(self) -> int:
        return self.secrets_server.state.calls.get("AccessSecretVersion", 0)


@pytest.fixture
def cloud(secret_manager_server: SecretManagerServer, secret_manager_client: Any,
          tmp_path: Path) -> Iterator[Cloud]:
    sim = GmailSimulator(SimConfig(seed=7))
    sim.add_mailbox(SUPPORT)
    server = SimServer(sim, host="127.0.0.1", port=0).start()
    secrets = SecretManagerSecrets(f"test-{uuid.uuid4().hex[:10]}", secret_manager_client, retry=default_retry(5.0))
    secrets.put(secret_names.OAUTH_CLIENT_SECRET, sim.config.client_secret)
    store = SqliteStore(tmp_path / "store.db")
    env = Cloud(sim, server, secret_manager_server, secrets, store)
    grant: Callable[[dict[str, str]], dict[str, Any]] = sim.tokens.token_endpoint

    def counted(form: dict[str, str]) -> dict[str, Any]:
        if form.get("grant_type") == "refresh_token":
            env.refreshes.append(form.get("refresh_token", ""))
        return grant(form)

    sim.tokens.token_endpoint = counted  # type: ignore[method-assign]
    try:
        yield env
    finally:
        server.stop()
        sim.close()
        store.close()


def _connect(cloud: Cloud, deps: Deps, refresh_token: str | None = None) -> None:
    connect_mailbox(deps, SUPPORT, refresh_token or cloud.sim.credentials(SUPPORT).refresh_token, watch=False)


def _push(cloud: Cloud, history_id: int | str) -> bytes:
    return json.dumps({"emailAddress": SUPPORT, "historyId": str(history_id)}).encode()


# --------------------------------------------------------------------------- tokens


def test_a_sync_within_the_token_lifetime_reads_no_secret_and_refreshes_nothing(cloud: Cloud) -> None:
    deps = cloud.instance()
    _connect(cloud, deps)
    assert sync_mailbox(deps, SUPPORT).status == "synced"
    reads, refreshes = cloud.secret_reads(), len(cloud.refreshes)

    cloud.sim.deliver(SUPPORT, customer_mail(to=SUPPORT))
    assert sync_mailbox(deps, SUPPORT).outcomes["ticket"] == 1
    worker = threading.Thread(target=sync_mailbox, args=(deps, SUPPORT))  # another thread: its own Gmail client
    worker.start()
    worker.join()

    assert cloud.secret_reads() == reads, "a cached access token needs no refresh token"
    assert len(cloud.refreshes) == refreshes, "and no refresh"
    assert len(deps.store.list_tickets()) == 1


def test_a_sync_without_a_cached_token_reads_one_secret_and_refreshes_once(cloud: Cloud) -> None:
    _connect(cloud, cloud.instance())
    cold = cloud.instance()  # a new instance: nothing cached
    reads, refreshes = cloud.secret_reads(), len(cloud.refreshes)
    cloud.sim.deliver(SUPPORT, customer_mail(to=SUPPORT))
    threads = [threading.Thread(target=sync_mailbox, args=(cold, SUPPORT)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # The refresh token, once for the four threads; and the OAuth client secret, once for the instance.
    assert cloud.secret_reads() - reads == 2
    assert len(cloud.refreshes) - refreshes == 1
    assert len(cold.store.list_tickets()) == 1


def test_a_reconnect_uses_its_new_refresh_token_at_once(cloud: Cloud) -> None:
    deps = cloud.instance()
    _connect(cloud, deps)
    old = cloud.sim.credentials(SUPPORT).refresh_token
    assert sync_mailbox(deps, SUPPORT).status == "synced"  # an access token of the old grant is cached now

    cloud.sim.revoke(SUPPORT)  # the owner removed the app: the old grant and its access tokens are dead
    new = cloud.sim.restore(SUPPORT, new_refresh_token=True).refresh_token
    refreshes = len(cloud.refreshes)
    _connect(cloud, deps, new)

    assert cloud.refreshes[refreshes:] and set(cloud.refreshes[refreshes:]) == {new}
    cloud.sim.deliver(SUPPORT, customer_mail(to=SUPPORT))
    assert sync_mailbox(deps, SUPPORT).outcomes["ticket"] == 1
    assert old not in cloud.refreshes[refreshes:]


def test_a_reconnect_on_another_instance_is_used_once_the_old_grant_fails(cloud: Cloud) -> None:
    admin, ingest = cloud.instance(), cloud.instance()
    _connect(cloud, admin)
    assert sync_mailbox(ingest, SUPPORT).status == "synced"  # the ingest instance caches the old grant's token

    cloud.sim.revoke(SUPPORT)
    new = cloud.sim.restore(SUPPORT, new_refresh_token=True).refresh_token
    _connect(cloud, admin, new)  # on the admin instance: the ingest instance's cache is not told
    cloud.sim.deliver(SUPPORT, customer_mail(to=SUPPORT))
    refreshes = len(cloud.refreshes)

    result = sync_mailbox(ingest, SUPPORT)  # 401 → the stored (new) refresh token, read again

    assert result.status == "synced" and result.outcomes["ticket"] == 1
    assert cloud.refreshes[refreshes:] == [new]
    connection = ingest.store.get_connection(SUPPORT)
    assert connection is not None and connection.status == ConnectionStatus.CONNECTED


def test_a_disconnect_forgets_the_cached_token(cloud: Cloud) -> None:
    deps = cloud.instance()
    cloud.sim.add_mailbox("sales@example.com")  # connected first: the default address, which stays connected
    connect_mailbox(deps, "sales@example.com", cloud.sim.credentials("sales@example.com").refresh_token, watch=False)
    _connect(cloud, deps)
    sync_mailbox(deps, SUPPORT)
    assert deps.mailbox_for.tokens.cached(SUPPORT) is not None  # type: ignore[attr-defined]

    accounts.disconnect(deps, SUPPORT, oauth=_Revoker(cloud))

    assert deps.refresh_tokens.get(SUPPORT) is None
    assert deps.mailbox_for.tokens.cached(SUPPORT) is None  # type: ignore[attr-defined]


@dataclass
class _Revoker:
    """Google's revocation endpoint as the simulator's own control (the OAuth adapter has tests of its own)."""

    cloud: Cloud

    def revoke(self, token: str) -> bool:
        self.cloud.sim.revoke(SUPPORT)
        return True


# --------------------------------------------------------------------------- stale pushes


def test_a_stale_push_costs_one_read_and_no_gmail_call(cloud: Cloud) -> None:
    deps = cloud.instance()
    _connect(cloud, deps)
    assert sync_mailbox(deps, SUPPORT).status == "synced"
    connection = deps.store.get_connection(SUPPORT)
    assert connection is not None and connection.history_id is not None
    counting = CountingStore(deps.store)
    deps.store = counting  # type: ignore[assignment]
    cloud.sim.reset_counters()
    reads, refreshes = cloud.secret_reads(), len(cloud.refreshes)

    for notified in (connection.history_id, connection.history_id - 1):
        result = ingest_event(deps, _push(cloud, notified))
        assert result is not None and result.status == "stale"

    assert counting.calls == Counter({"get_connection": 2})  # one read each; no lease, no write
    assert cloud.sim.counters().get(SUPPORT, {}).get("calls", 0) == 0
    assert (cloud.secret_reads(), len(cloud.refreshes)) == (reads, refreshes)


def test_a_push_ahead_of_the_cursor_still_syncs(cloud: Cloud) -> None:
    deps = cloud.instance()
    _connect(cloud, deps)
    sync_mailbox(deps, SUPPORT)
    cloud.sim.deliver(SUPPORT, customer_mail(to=SUPPORT))
    counting = CountingStore(deps.store)
    deps.store = counting  # type: ignore[assignment]

    push = _push(cloud, cloud.sim.history_id(SUPPORT))

    result = ingest_event(deps, push)

    assert result is not None and result.status == "synced" and result.outcomes["ticket"] == 1
    assert counting.calls["take_lease"] == 1
    again = ingest_event(deps, push)  # Pub/Sub delivers it again: the cursor has passed it now
    assert again is not None and again.status == "stale"


def test_a_sweep_request_is_never_stale(cloud: Cloud) -> None:
    deps = cloud.instance()
    _connect(cloud, deps)
    sync_mailbox(deps, SUPPORT)
    request = json.dumps({"emailAddress": SUPPORT, "source": "sweep"}).encode()
    result = ingest_event(deps, request)
    assert result is not None and result.status == "synced"


def test_a_thread_keeps_few_gmail_clients_and_a_dropped_one_costs_no_token(cloud: Cloud,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    deps = cloud.instance()
    monkeypatch.setattr(deps.mailbox_for, "max_clients", 2)
    boxes = [SUPPORT, "sales@example.com", "billing@example.com"]
    for address in boxes[1:]:
        cloud.sim.add_mailbox(address)
    for address in boxes:
        connect_mailbox(deps, address, cloud.sim.credentials(address).refresh_token, watch=False)
    reads, refreshes = cloud.secret_reads(), len(cloud.refreshes)

    for address in boxes * 2:  # each sync after the second drops the least recently used client
        assert sync_mailbox(deps, address).status == "synced"

    assert len(deps.mailbox_for._local.cache) == 2  # type: ignore[attr-defined]
    assert (cloud.secret_reads(), len(cloud.refreshes)) == (reads, refreshes)  # rebuilt clients, cached tokens
