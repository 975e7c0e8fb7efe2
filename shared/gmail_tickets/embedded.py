"""The whole product in one process: the in-process publisher feeds `ingest` and `send`, a timer runs the sweep.

On one machine against real Gmail there is no Pub/Sub for Gmail to push to, so the sweep's one-minute sync is
the delivery path. The devstack simulator can also push straight in through `push()` (the demo does).
"""

from __future__ import annotations

import logging
import threading

from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.ingest import ingest_event
from gmail_tickets.services.send_notification import send_event
from gmail_tickets.services.sweep import sweep

log = logging.getLogger(__name__)

PUSH_TOPIC = "gmail-push"


class EmbeddedRuntime:
    def __init__(self, deps: Deps, publisher: LocalPublisher, *, sweep_interval: float = 60.0,
                 renew_watches: bool = False) -> None:
        self.deps = deps
        self.publisher = publisher
        self.sweep_interval = sweep_interval
        self.renew_watches = renew_watches
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    def start(self) -> EmbeddedRuntime:
        handler = self._ingest
        self.publisher.subscribe(PUSH_TOPIC, handler)
        self.publisher.subscribe(self.deps.settings.sync_topic, handler)
        self.publisher.subscribe(self.deps.settings.outbound_topic, self._send)
        self.publisher.start()
        self._sweeper = threading.Thread(target=self._sweep_loop, name="sweep", daemon=True)
        self._sweeper.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._sweeper:
            self._sweeper.join(5)
        self.publisher.stop()

    def push(self, address: str, history_id: int | str) -> None:
        """A Gmail notification, as Pub/Sub would deliver it."""
        self.publisher.publish(PUSH_TOPIC, {"emailAddress": address, "historyId": str(history_id)})

    def sweep_now(self) -> None:
        result = sweep(self.deps, renew_watches=self.renew_watches)
        if result.errors:
            log.warning("sweep found problems", extra={"errors": result.errors})

    def _ingest(self, data: bytes) -> None:
        ingest_event(self.deps, data)

    def _send(self, data: bytes) -> None:
        send_event(self.deps, data)

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self.sweep_interval):
            try:
                self.sweep_now()
            except Exception:  # the timer must outlive one bad sweep
                log.exception("sweep failed")
