"""One Cloud Functions instance on this machine: functions-framework on a fixed port, replaced when it dies.

Cloud Functions starts a new instance when one crashes; here a thread per instance does: it starts
functions-framework, waits for the process to end, and ~1 s later starts a fresh one at the same address, so a
push subscription or a load balancer keeps one URL. The thread is the process's creator for the whole of its
life, which is what lets the kernel end the process if the harness dies (emulators._parent_death_prefix).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from devstack import emulators
from devstack.cloud_functions import serve_function

log = logging.getLogger(__name__)


class Instance:
    """`name` (e.g. "ingest-1") serving the entry point `target` of functions/main.py; log in log_dir/NAME.log."""

    def __init__(self, name: str, target: str, signature: str, env: dict[str, str], log_dir: Path, *,
                 restart_delay: float = 1.0) -> None:
        self.name, self.target, self.signature = name, target, signature
        self._env, self._log_dir, self._restart_delay = env, log_dir, restart_delay
        self.port = emulators.free_port()
        self.starts = 0  # processes started, the first included
        self._server: emulators.Emulator | None = None
        self._stopping = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=f"instance-{name}", daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}/"

    def start(self) -> Instance:
        self._thread.start()
        return self

    def is_up(self) -> bool:
        """Serving now: started, answered once, and not dead since."""
        server = self._server
        return server is not None and server.is_running()

    def wait_up(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.is_up() or self._stopping, timeout) and self.is_up()

    def kill(self) -> bool:
        """SIGKILL the instance's process group (gunicorn and its worker) now; False if none is up."""
        with self._changed:
            server = self._server if self.is_up() else None
        if server is None:
            return False
        server.kill()
        return True

    def stop(self, timeout: float = 40.0) -> None:
        """No more restarts; the running process (or one starting now) is killed. Idempotent."""
        with self._changed:
            self._stopping = True
            server = self._server
            self._changed.notify_all()
        if server is not None:
            server.kill()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._changed:
                if self._stopping:
                    return
            try:
                server = serve_function(self.target, self.signature, self._env, self._log_dir, port=self.port,
                                        name=self.name, thread_bound=True)
            except emulators.EmulatorError as exc:  # the port still held, say: try again shortly
                log.warning("instance %s did not start: %s", self.name, exc)
                self._pause()
                continue
            with self._changed:
                self.starts += 1
                self._server = server
                self._changed.notify_all()
                stopping = self._stopping
            if stopping:
                server.kill()
                return
            server.process.wait()
            server.kill()  # reap it, close its log, and end a gunicorn worker the master left behind
            with self._changed:
                self._server = None
                self._changed.notify_all()
            self._pause()

    def _pause(self) -> None:
        """The platform's delay before a new instance, cut short by stop()."""
        deadline = time.monotonic() + self._restart_delay
        with self._changed:
            self._changed.wait_for(lambda: self._stopping or time.monotonic() >= deadline, self._restart_delay)
