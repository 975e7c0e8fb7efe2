"""What the soak needs from a flavour of the product: start it against a world, kill its processes, stop it.

The harness owns the world (the Gmail simulator, the relay, the shared clock file); a flavour owns the product's
processes and restarts a killed one the way its platform would (Cloud Functions starts a new instance; a service
manager restarts `serve`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from devstack.gmail_sim import GmailSimulator
from devstack.relay_server import RelayServer


@dataclass
class World:
    """Everything outside the product, run by the harness in its own process."""

    state_dir: Path  # the flavour keeps its files (SQLite, secrets, logs) under here
    sim: GmailSimulator  # in the harness's process; a flavour may configure its push (target, delay, drop)
    sim_url: str  # the simulator's HTTP root (GT_GMAIL_ROOT_URL); its token endpoint is sim_url + "/token"
    client_id: str
    client_secret: str
    relay: RelayServer  # started; relay.env() gives the product's GT_RELAY_* variables
    clock_file: Path  # seconds the product's clock runs ahead of wall time: GT_CLOCK_OFFSET_FILE
    mailboxes: tuple[str, ...]
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # per mailbox, for connecting it
    # GT_* settings every product process runs with on top of the flavour's own (e.g. the acknowledgement ceiling
    # raised, so that a soak's thousand mails an hour are acknowledged rather than skipped by the anti-spam rules).
    product_env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Kill:
    """One SIGKILL the flavour carried out."""

    process: str  # e.g. "ingest-1", "send-2", "serve"
    at: float  # time.monotonic() of the kill


class ProductStack(Protocol):
    flavour: str  # "cloud" | "embedded"

    def start(self, world: World) -> dict[str, str]:
        """Start the product's processes against `world`, connect every mailbox (watch/push as the flavour does),
        and return the GT_* environment the product runs with, so the harness can build its own Deps
        (bootstrap.build / local_config) on the same store to read the product's records."""

    def killable(self) -> list[str]:
        """Names of the processes a SIGKILL may hit now."""

    def kill(self, process: str) -> Kill:
        """SIGKILL it now; the flavour brings a fresh one up on its own shortly after (as its platform would)."""

    def restart_broker(self) -> bool:
        """Restart the message broker if the flavour has one (the Pub/Sub emulator, on the same port, with its
        topics and subscriptions made again); False when it has none."""

    def sweep_now(self) -> None:
        """Run one sweep now (the harness calls it after advancing the clock; the flavour also sweeps on its own
        timer, a few seconds apart, standing in for Cloud Scheduler's minute)."""

    def stop(self) -> None:
        """Stop everything it started (idempotent)."""
