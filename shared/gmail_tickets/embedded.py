"""The whole product in one process: the in-process broker feeds `ingest`, the sweep's shard checks and `send`;
a timer runs the sweep.

On one machine against real Gmail there is no Pub/Sub for Gmail to push to, so the sweep's one-minute sync is
the delivery path. The devstack simulator can also push straight in through `push()` (the demo does). Built by
`bootstrap.embedded_runtime`; it knows the broker only as ports: the services publish through `deps.publisher`,
and this runtime subscribes the use cases through `Subscriber`. The broker bootstrap builds gives syncing and
sending worker pools of their own, retries on timers and mailboxes in turn, so neither starves the other.
"""

from __future__ import annotations

import logging
import threading

from gmail_tickets.embedded_broker import PUSH_TOPIC
from gmail_tickets.ports import Subscriber
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.ingest import ingest_event
from gmail_tickets.services.outbound_event import outbound_event
from gmail_tickets.services.sweep import sweep
from gmail_tickets.services.sweep_shard import shard_event

log = logging.getLogger(__name__)

__all__ = ["PUSH_TOPIC", "EmbeddedRuntime"]


class EmbeddedRuntime:
    def __init__(self, deps: Deps, subscriber: Subscriber, *, sweep_interval: float = 60.0,
                 renew_watches: bool = False) -> None:
        """`subscriber` delivers the topics `deps.publisher` publishes to (one broker, both ports)."""
        self.deps = deps
        self.subscriber = subscriber
        self.sweep_interval = sweep_interval
        self.renew_watches = renew_watches
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    def start(self) -> EmbeddedRuntime:
        handler = self._ingest
        self.subscriber.subscribe(PUSH_TOPIC, handler)
        self.subscriber.subscribe(self.deps.settings.sync_topic, handler)
        self.subscriber.subscribe(self.deps.settings.sweep_topic, self._check_shard)
        self.subscriber.subscribe(self.deps.settings.outbound_topic, self._send)
        self.subscriber.start()
        self._sweeper = threading.Thread(target=self._sweep_loop, name="sweep", daemon=True)
        self._sweeper.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._sweeper:
            self._sweeper.join(5)
        self.subscriber.stop()

    def push(self, address: str, history_id: int | str) -> None:
        """A Gmail notification, as Pub/Sub would deliver it."""
        self.deps.publisher.publish(PUSH_TOPIC, {"emailAddress": address, "historyId": str(history_id)})

    def sweep_now(self) -> None:
        result = sweep(self.deps)
        if result.errors:
            log.warning("sweep found problems", extra={"errors": result.errors})

    def _ingest(self, data: bytes) -> None:
        """A busy mailbox this event now watches comes back on a timer at the lease's expiry (ComeBackLater from
        ingest_event), so a holder that died is replaced about one lease later, even when no new mail arrives."""
        ingest_event(self.deps, data)

    def _check_shard(self, data: bytes) -> None:
        """The same fan-out as in the cloud: the sweep publishes shards, this checks one (in the ingest pool)."""
        shard_event(self.deps, data, renew_watches=self.renew_watches)

    def _send(self, data: bytes) -> None:
        outbound_event(self.deps, data)

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self.sweep_interval):
            try:
                self.sweep_now()
            except Exception:  # the timer must outlive one bad sweep
                log.exception("sweep failed")
