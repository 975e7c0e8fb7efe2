"""The soak's embedded flavour: `gmail-tickets serve` as a child process, killed whole and restarted like a service.

The harness's world is reached the way an operator would wire it: GT_GMAIL_ROOT_URL and GT_TOKEN_URI at the
simulator, the client secret and relay password in the secrets file, GT_RELAY_* at the relay, GT_CLOCK_OFFSET_FILE at
the shared clock. The mailboxes are connected before `serve` starts (as `gmail-tickets connect` does, without a
watch: one machine has no Pub/Sub topic for Gmail to push to), so the sweep (every `SWEEP_INTERVAL_S`) is the
delivery path. A supervisor thread restarts `serve` about a second after it dies, as systemd's Restart= would.
There is no broker to restart: the in-process publisher dies with the process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from devstack.chaos.stack import Kill, World
from gmail_tickets import bootstrap, secret_names
from gmail_tickets.services.connect import connect_mailbox
from gmail_tickets.services.connect_import import wait_for_import

SWEEP_INTERVAL_S = 2.0
RESTART_AFTER_S = 1.0
PROCESS = "serve"


def product_env(world: World, state: Path) -> dict[str, str]:
    """The GT_* environment `serve` runs with (on top of this process's, minus any GT_* of its own)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GT_")}
    return {
        **base,
        "GT_STORE": "sqlite",
        "GT_SQLITE_PATH": str(state / "gmail-tickets.sqlite"),
        "GT_SECRETS_FILE": str(state / "secrets.json"),
        "GT_BLOBS_DIR": str(state / "blobs"),
        "GT_GMAIL_ROOT_URL": world.sim_url,
        "GT_TOKEN_URI": world.sim_url.rstrip("/") + "/token",
        "GT_OAUTH_CLIENT_ID": world.client_id,
        "GT_CLOCK_OFFSET_FILE": str(world.clock_file),
        "GT_LOG_LEVEL": "WARNING",
        **world.relay.env(),
        **world.product_env,
    }


class EmbeddedProcessStack:
    flavour = "embedded"

    def __init__(self) -> None:
        self._env: dict[str, str] = {}
        self._state: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self.restarts = 0

    def start(self, world: World) -> dict[str, str]:
        self._state = world.state_dir / "embedded"
        self._state.mkdir(parents=True, exist_ok=True)
        self._env = product_env(world, self._state)
        self._connect(world)
        self._log = open(self._state / "serve.log", "ab")  # noqa: SIM115 - lives as long as the stack
        self._spawn()
        self._supervisor = threading.Thread(target=self._supervise, name="serve-supervisor", daemon=True)
        self._supervisor.start()
        return {k: v for k, v in self._env.items() if k.startswith("GT_")}

    def _connect(self, world: World) -> None:
        """As `gmail-tickets connect` would, on the same SQLite and secrets file, before `serve` runs."""
        config = bootstrap.local_config(self._env)
        deps = bootstrap.local_deps(config)
        deps.secrets.put(secret_names.OAUTH_CLIENT_SECRET, world.client_secret)
        deps.secrets.put(secret_names.RELAY_PASSWORD, world.relay.password)
        for address in world.mailboxes:
            connect_mailbox(deps, address, world.refresh_tokens[address], watch=False)
            wait_for_import(deps, address, timeout=60)

    def _spawn(self) -> None:
        cli = Path(sys.executable).with_name("gmail-tickets")
        command = [str(cli)] if cli.exists() else [sys.executable, "-c", "from gmail_tickets.cli import main; main()"]
        self._process = subprocess.Popen(
            [*command, "serve", "--console-port", "0", "--sweep-interval", str(SWEEP_INTERVAL_S)],
            env=self._env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def _supervise(self) -> None:
        while not self._stopping.wait(0.1):
            with self._lock:
                process = self._process
            if process is None or process.poll() is None:
                continue
            if self._stopping.wait(RESTART_AFTER_S):
                return
            with self._lock:
                if not self._stopping.is_set():
                    self._spawn()
                    self.restarts += 1

    def killable(self) -> list[str]:
        with self._lock:
            return [PROCESS] if self._process is not None and self._process.poll() is None else []

    def kill(self, process: str) -> Kill:
        if process != PROCESS:
            raise ValueError(f"no such process: {process}")
        with self._lock:
            assert self._process is not None
            _kill_group(self._process, signal.SIGKILL)
            self._process.wait()
            return Kill(process, time.monotonic())

    def restart_broker(self) -> bool:
        return False  # the in-process publisher: nothing to restart apart from the whole process

    def sweep_now(self) -> None:
        """`serve` sweeps on its own every SWEEP_INTERVAL_S; there is no way in from outside, nor a need."""

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(5)
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                _kill_group(self._process, signal.SIGTERM)
                try:
                    self._process.wait(10)
                except subprocess.TimeoutExpired:
                    _kill_group(self._process, signal.SIGKILL)
                    self._process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def _kill_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """The whole process (its own session: anything it started goes too)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
