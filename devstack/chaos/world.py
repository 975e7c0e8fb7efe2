"""The soak's world: everything outside the product, run in the harness's own process.

The Gmail simulator (served over HTTP), the SMTP relay, the clock file the product's processes read
(GT_CLOCK_OFFSET_FILE), and the support mailboxes with their grants. `SharedClock` moves the simulator's clock and
the product's together, so an outage of hours passes in seconds for both sides.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

from devstack.chaos.stack import World
from devstack.gmail_sim import GmailSimulator, SimConfig, SimServer
from devstack.relay_server import RelayServer
from gmail_tickets.adapters.offset_clock import write_offset
from gmail_tickets.services.connect import account_kind_of

MAILBOXES = ("support@alpha.example", "help@bravo.example", "desk@charlie.example")
LATENCY_MS = 10.0  # every Gmail call; the schedule's latency bursts come on top
# The anti-spam ceiling of acknowledgements per support account per hour (200) would skip most of a soak's: the
# soak is about delivering them, so it is raised for the product's processes.
PRODUCT_ENV = {"GT_ACK_CEILING_PER_HOUR": "1000000"}


class SharedClock:
    """The simulator's clock and the product's offset file, advanced together (forward only)."""

    def __init__(self, sim: GmailSimulator, path: Path) -> None:
        self.sim = sim
        self.path = path
        self.offset = 0.0
        self.jumps: list[float] = []  # time.monotonic() of each advance
        write_offset(path, 0.0)

    def advance(self, seconds: float) -> None:
        self.sim.clock.advance(seconds)
        self.offset += seconds
        write_offset(self.path, self.offset)
        self.jumps.append(time.monotonic())


def open_world(state_dir: Path, stack: ExitStack, *, mailboxes: tuple[str, ...] = MAILBOXES,
               seed: int = 1) -> tuple[World, SharedClock]:
    """Start the simulator, its server and the relay (closed by `stack`), with `mailboxes` made and granted."""
    state_dir.mkdir(parents=True, exist_ok=True)
    sim = GmailSimulator(SimConfig(seed=seed, default_latency_ms=LATENCY_MS))
    stack.callback(sim.close)
    credentials = {address: sim.add_mailbox(address, str(account_kind_of(address))) for address in mailboxes}
    server = SimServer(sim, host="127.0.0.1", port=0).start()
    stack.callback(server.stop)
    relay = RelayServer(state_dir / "relay").start()
    stack.callback(relay.close)
    first = credentials[mailboxes[0]]
    world = World(
        state_dir=state_dir, sim=sim, sim_url=server.url, client_id=first.client_id,
        client_secret=first.client_secret, relay=relay, clock_file=state_dir / "clock-offset",
        mailboxes=mailboxes, refresh_tokens={a: c.refresh_token for a, c in credentials.items()},
        product_env=dict(PRODUCT_ENV),
    )
    return world, SharedClock(sim, world.clock_file)
