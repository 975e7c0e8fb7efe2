"""Connect many simulated mailboxes at once, for `gmail-tickets bench scale`, in time linear in their number.

Connecting through the product's own path (`connect_mailbox`) is an OAuth exchange, a profile, a label, a watch,
an import listing and a Secret Manager write per mailbox: minutes for 10,000 against the simulator. This writes
what that path leaves behind, in bulk: the mailboxes (with their label and watch) by one simulator control call per
thousand, each refresh token into the local Secret Manager's memory, and the connections and support addresses
through the store port (connections 200 to a transaction). What one product connect costs the store is measured
apart (devstack/scale_product.py, `connect_one`). It follows
`services/connect.py`: when that path stores something new, store it here too.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from google.cloud.secretmanager_v1.types import resources, service

from devstack.secret_manager_server import SecretManagerServer
from gmail_tickets import secret_names
from gmail_tickets.domain.model import AddressKind, Connection, ConnectionStatus, SupportAddress
from gmail_tickets.ports import ConnectionUnit
from gmail_tickets.services.connect import account_kind_of
from gmail_tickets.services.deps import Deps

SIM_BATCH = 1000
STORE_BATCH = 200
DOMAIN = "scale.example"


def sim_mailboxes(control_url: str, count: int, *, label: str, watch_topic: str,
                  progress: Callable[[str], None], start: int = 0) -> list[dict[str, Any]]:
    """`count` mailboxes in the simulator (gmail_sim/bulk.py), with our label and a watch each, numbered from
    `start`."""
    made: list[dict[str, Any]] = []
    for at in range(0, count, SIM_BATCH):
        body = {"prefix": "desk", "domain": DOMAIN, "count": min(SIM_BATCH, count - at), "start": start + at,
                "label": label, "watch_topic": watch_topic}
        request = urllib.request.Request(control_url.rstrip("/") + "/sim/v1/mailboxes/bulk",
                                         data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=300) as response:
            made += json.loads(response.read())["mailboxes"]
        progress(f"  simulator: {len(made)}/{count} mailboxes")
    return made


def store_tokens(server: SecretManagerServer, project: str, mailboxes: list[dict[str, Any]]) -> None:
    """Each refresh token as `SecretManagerSecrets.put` would leave it (one secret, one version), written into
    the local server's memory: no round trips."""
    parent = f"projects/{project}"
    for mailbox in mailboxes:
        secret_id = secret_names.refresh_token(mailbox["address"])
        server.state.create_secret(service.CreateSecretRequest(
            parent=parent, secret_id=secret_id,
            secret=resources.Secret(replication=resources.Replication(automatic=resources.Replication.Automatic()))))
        server.state.add_secret_version(service.AddSecretVersionRequest(
            parent=f"{parent}/secrets/{secret_id}",
            payload=resources.SecretPayload(data=mailbox["refresh_token"].encode())))


def connection_of(mailbox: dict[str, Any], now: datetime) -> Connection:
    """What `connect_mailbox` (mark_connected) stores for a new mailbox, with no import to run."""
    expiration = mailbox["watch_expiration_ms"]
    return Connection(
        address=mailbox["address"].lower(), status=ConnectionStatus.CONNECTED,
        account_kind=account_kind_of(mailbox["address"]), history_id=int(mailbox["history_id"]),
        label_id=mailbox["label_id"], last_sync_at=now, created_at=now,
        watch_expiration=datetime.fromtimestamp(expiration / 1000, UTC) if expiration else None,
    )


def store_connections(deps: Deps, mailboxes: list[dict[str, Any]], progress: Callable[[str], None], *,
                      first: bool = True) -> None:
    """Connections 200 to a transaction, support addresses alongside (`first`: the first one is the default)."""
    now = deps.clock.now()

    def put(batch: list[Connection]) -> Callable[[ConnectionUnit], None]:
        def work(uow: ConnectionUnit) -> None:
            for connection in batch:
                uow.put_connection(connection)
        return work

    def address(item: tuple[int, dict[str, Any]]) -> None:
        n, mailbox = item
        deps.store.save_support_address(SupportAddress(mailbox["address"].lower(), is_default=first and n == 0,
                                                       kind=AddressKind.GMAIL_CONNECTOR))

    done = 0
    with ThreadPoolExecutor(8) as pool:
        for start in range(0, len(mailboxes), STORE_BATCH):
            chunk = mailboxes[start:start + STORE_BATCH]
            deps.store.atomically(put([connection_of(m, now) for m in chunk]))
            list(pool.map(address, enumerate(chunk, start)))
            done += len(chunk)
            if done % 1000 == 0 or done == len(mailboxes):
                progress(f"  store: {done}/{len(mailboxes)} connections")
