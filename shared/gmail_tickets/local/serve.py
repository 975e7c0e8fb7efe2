"""`gmail-tickets serve`: the embedded product against real Gmail, in one process, until Ctrl-C.

SQLite, a secrets file, local blobs and the in-process publisher, as configured by GT_* variables. Nothing pushes
on one machine (Gmail needs a Pub/Sub topic to push to), so the sweep's periodic sync is the delivery path and
`--sweep-interval` bounds how late a mail becomes a ticket.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping
from types import FrameType
from typing import TextIO

from gmail_tickets import bootstrap, bootstrap_web, logs

log = logging.getLogger("gmail_tickets.serve")


def run_serve(
    *,
    console_port: int = 8080,
    sweep_interval: float = 60.0,
    env: Mapping[str, str] | None = None,
    stop: threading.Event | None = None,
    err: TextIO | None = None,
) -> int:
    """Run until Ctrl-C, SIGTERM or `stop` is set; 0 on a clean stop."""
    env = dict(os.environ if env is None else env)
    err = err or sys.stderr
    stop = stop or threading.Event()
    config = bootstrap.local_config(env)
    logs.configure(config.log_level)
    runtime = bootstrap.embedded_runtime(config, sweep_interval=sweep_interval)  # no watches to renew here
    deps = runtime.deps
    bootstrap.adopt_client_secret(deps.secrets, env)
    runtime.start()
    console = bootstrap_web.serve_console(config, deps, host="127.0.0.1", port=console_port)
    for line in console.banner(f"(already set: see {config.secrets_file})"):
        print(line, file=err, flush=True)
    log.info("serving", extra={"console": console.url, "sweep_interval": sweep_interval, **bootstrap.describe(config),
                               "connections": [c.address for c in deps.store.list_connections()]})
    if threading.current_thread() is threading.main_thread():
        def on_term(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_term)
    try:
        try:
            runtime.sweep_now()  # at once, not a whole interval after start: the mail that came while stopped
        except Exception:  # the timer retries; a first failed sweep must not stop the product
            log.exception("first sweep failed")
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        console.stop()
        runtime.stop()
        log.info("stopped")
    return 0
