"""The embedded product wired to the Gmail simulator: what the demo, the end-to-end tests and the bench run.

Everything is real except Google: the simulator is served over HTTP and driven by google-api-python-client,
tokens refresh through google-auth against the simulator's token endpoint, state is in SQLite (or any Store
passed in), and notifications flow through the in-process publisher into `ingest` and `send`. Outbound mail
leaves through the simulated Gmail account or through a real local SMTP relay (devstack/relay_server.py:
STARTTLS, AUTH, its certificate trusted through `relay_ca_file`), whose password is in Secrets like production's.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

from devstack.gmail_sim import GmailSimulator, SimConfig, SimServer
from devstack.relay_server import RelayServer
from gmail_tickets import bootstrap, bootstrap_web, secret_names
from gmail_tickets.embedded import EmbeddedRuntime
from gmail_tickets.ports import Store
from gmail_tickets.services.connect import account_kind_of, connect_mailbox
from gmail_tickets.services.connect_import import wait_for_import
from gmail_tickets.services.deps import Deps
from gmail_tickets.settings import Settings

DEFAULT_ADDRESS = "support@example.com"
RELAY_SPF_INCLUDE = "_spf.relay.example"  # what the console's DNS guidance names (the local relay has no domain)


class EmbeddedStack:
    def __init__(
        self,
        state_dir: Path,
        *,
        mailboxes: tuple[str, ...] = (DEFAULT_ADDRESS,),
        sweep_interval: float = 60.0,
        sim_config: SimConfig | None = None,
        store: Store | None = None,
        settings: Settings | None = None,
        push: bool = True,
        workers: int | None = None,
        relay: bool = True,
        send_limit: int | None = None,
    ) -> None:
        """`send_limit`: the simulated accounts' own daily sending limit (Gmail's, not ours: the product keeps
        its own, 500 for gmail.com and 2,000 for Workspace, so a low value here shows Gmail's limit error, the
        switch to the relay and the console's warning). `relay=False`: no relay configured (mail that needs one
        then fails visibly)."""
        self.state_dir = state_dir
        self.mailboxes = mailboxes
        self.sweep_interval = sweep_interval
        self.sim = GmailSimulator(sim_config or SimConfig())
        self._store = store
        self._settings = settings
        self._push = push
        self._workers = workers
        self._send_limit = send_limit
        self.relay: RelayServer | None = RelayServer(state_dir / "relay") if relay else None
        self.server: SimServer | None = None
        self.runtime: EmbeddedRuntime | None = None
        self.deps: Deps | None = None
        self.config = bootstrap.Config()  # set on entering, pointed at the simulator
        self.credentials: dict[str, Any] = {}

    @property
    def sim_url(self) -> str:
        assert self.server is not None
        return self.server.url

    @property
    def store(self) -> Store:
        assert self.deps is not None
        return self.deps.store

    def __enter__(self) -> EmbeddedStack:
        # The simulated account is of the kind the product takes it for (example.com: Workspace), so Gmail's
        # limit and ours agree unless `send_limit` says otherwise.
        self.credentials = {address: self.sim.add_mailbox(address, str(account_kind_of(address)),
                                                          send_limit=self._send_limit)
                            for address in self.mailboxes}
        if self.relay is not None:
            self.relay.start()
        self.server = SimServer(self.sim, host="127.0.0.1", port=0).start()
        first = self.credentials[self.mailboxes[0]]
        base = self.server.url.rstrip("/")
        self.config = bootstrap.Config(
            sqlite_path=str(self.state_dir / "gmail-tickets.sqlite"),
            secrets_file=str(self.state_dir / "secrets.json"),
            blobs_dir=str(self.state_dir / "blobs"),
            gmail_root_url=self.server.url,
            token_uri=base + "/token",
            oauth_client_id=first.client_id,
            oauth_auth_uri=base + "/o/oauth2/v2/auth",  # the simulator's consent page, for the console
            oauth_revoke_uri=base + "/revoke",
            relay_spf_include=RELAY_SPF_INCLUDE,
            settings=self._settings or bootstrap.Config().settings,
            **(self.relay.config_fields() if self.relay is not None else {}),
        )
        self.runtime = bootstrap.embedded_runtime(self.config, sweep_interval=self.sweep_interval, store=self._store,
                                                  workers=self._workers)
        self.deps = self.runtime.deps
        self.deps.secrets.put(secret_names.OAUTH_CLIENT_SECRET, first.client_secret)
        if self.relay is not None:
            self.deps.secrets.put(secret_names.RELAY_PASSWORD, self.relay.password)
        self.runtime.start()
        if self._push:
            self.sim.set_push_callback(self.runtime.push)
        for address in self.mailboxes:
            connect_mailbox(self.deps, address, self.credentials[address].refresh_token, watch=self._push)
            wait_for_import(self.deps, address, timeout=None)  # ready when entered: the import done, as it was
        return self

    def serve_console(self, deps: Deps | None = None, port: int = 0) -> bootstrap_web.ServedConsole:
        """The console on this stack (or on `deps`, a variant of the stack's), as `serve` runs it."""
        assert self.deps is not None
        return bootstrap_web.serve_console(self.config, deps or self.deps, port=port)

    def set_send_limit(self, limit: int) -> None:
        """Change the simulated accounts' own daily sending limit (recipients per rolling 24 h)."""
        for address in self.mailboxes:
            self.sim.set_send_limit(address, limit)

    def deliver(self, raw: bytes, address: str | None = None) -> str:
        return self.sim.deliver(address or self.mailboxes[0], raw)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.runtime:
            self.runtime.stop()
        if self.server:
            self.server.stop()
        if self.relay is not None:
            self.relay.close()
