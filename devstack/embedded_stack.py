"""The embedded product wired to the Gmail simulator: what the demo, the end-to-end tests and the bench run.

Everything is real except Google: the simulator is served over HTTP and driven by google-api-python-client,
tokens refresh through google-auth against the simulator's token endpoint, state is in SQLite (or any Store
passed in), and notifications flow through the in-process publisher into `ingest`.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

from devstack.gmail_sim import GmailSimulator, SimConfig, SimServer
from gmail_tickets import bootstrap, secret_names
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.embedded import EmbeddedRuntime
from gmail_tickets.ports import Store
from gmail_tickets.services.connect import connect_mailbox
from gmail_tickets.services.deps import Deps
from gmail_tickets.settings import Settings
from gmail_tickets.web import OAuthSetup

DEFAULT_ADDRESS = "support@example.com"


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
        workers: int = 2,
    ) -> None:
        self.state_dir = state_dir
        self.mailboxes = mailboxes
        self.sweep_interval = sweep_interval
        self.sim = GmailSimulator(sim_config or SimConfig())
        self._store = store
        self._settings = settings
        self._push = push
        self._workers = workers
        self.server: SimServer | None = None
        self.runtime: EmbeddedRuntime | None = None
        self.deps: Deps | None = None
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
        self.credentials = {address: self.sim.add_mailbox(address) for address in self.mailboxes}
        self.server = SimServer(self.sim, host="127.0.0.1", port=0).start()
        first = self.credentials[self.mailboxes[0]]
        config = bootstrap.Config(
            sqlite_path=str(self.state_dir / "gmail-tickets.sqlite"),
            secrets_file=str(self.state_dir / "secrets.json"),
            blobs_dir=str(self.state_dir / "blobs"),
            gmail_root_url=self.server.url,
            token_uri=self.server.url.rstrip("/") + "/token",
            oauth_client_id=first.client_id,
            settings=self._settings or bootstrap.Config().settings,
        )
        publisher = LocalPublisher(workers=self._workers)
        self.deps = bootstrap.build(config, publisher=publisher, store=self._store)
        self.deps.secrets.put(secret_names.OAUTH_CLIENT_SECRET, first.client_secret)
        self.runtime = EmbeddedRuntime(self.deps, publisher, sweep_interval=self.sweep_interval).start()
        if self._push:
            self.sim.set_push_callback(self.runtime.push)
        for address in self.mailboxes:
            connect_mailbox(self.deps, address, self.credentials[address].refresh_token, watch=self._push)
        return self

    def console_oauth(self) -> OAuthSetup:
        """The OAuth client the console connects accounts with, pointed at the simulator's consent page."""
        first = self.credentials[self.mailboxes[0]]
        base = self.sim_url.rstrip("/")
        return OAuthSetup.google(client_id=first.client_id, client_secret=first.client_secret,
                                 token_uri=base + "/token", revoke_uri=base + "/revoke",
                                 auth_uri=base + "/o/oauth2/v2/auth", gmail_root_url=self.sim_url)

    def deliver(self, raw: bytes, address: str | None = None) -> str:
        return self.sim.deliver(address or self.mailboxes[0], raw)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.runtime:
            self.runtime.stop()
        if self.server:
            self.server.stop()
