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

from gmail_tickets import bootstrap, logs, secret_names
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.embedded import EmbeddedRuntime
from gmail_tickets.web import ensure_admin_secret, serve_console

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
    logs.configure(env.get("GT_LOG_LEVEL", "INFO"))
    config = bootstrap.Config.from_env(env)
    publisher = LocalPublisher()
    deps = bootstrap.build(config, publisher=publisher)
    if env.get("GT_OAUTH_CLIENT_SECRET"):
        deps.secrets.put(secret_names.OAUTH_CLIENT_SECRET, env["GT_OAUTH_CLIENT_SECRET"])
    runtime = EmbeddedRuntime(deps, publisher, sweep_interval=sweep_interval, renew_watches=False).start()
    secret, created = ensure_admin_secret(deps.secrets)
    url, stop_console = serve_console(deps, host="127.0.0.1", port=console_port,
                                      oauth=bootstrap.console_oauth(config, deps.secrets),
                                      relay_spf_include=config.relay_spf_include, gmail_push=False)
    shown = secret if created else f"(already set: see {config.secrets_file})"
    print(f"console: {url}  — sign in with the admin secret: {shown}", file=err, flush=True)
    log.info("serving", extra={"console": url, "sweep_interval": sweep_interval, **bootstrap.describe(config),
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
        stop_console()
        runtime.stop()
        log.info("stopped")
    return 0
