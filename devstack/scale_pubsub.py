"""`bench scale --publisher pubsub`: the product publishes to Google's Pub/Sub emulator through its own
`PubSubPublisher` (each publish waits for the emulator, as in the cloud), and a streaming pull per topic hands every
message to the in-process broker, whose workers run the product's handlers. So the sweep's publishing costs what it
costs against Pub/Sub, while the tick is still handled in this process and can be waited for.

Topics: the push topic the runtime publishes to and every `*_topic` setting, so a topic the product adds is bridged
without a change here.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import fields
from typing import Any

from devstack import emulators
from gmail_tickets.adapters.local_publisher import LocalPublisher
from gmail_tickets.adapters.pubsub_publisher import PubSubPublisher
from gmail_tickets.embedded import PUSH_TOPIC
from gmail_tickets.settings import Settings

QUIET_S = 1.0  # nothing new from Pub/Sub for this long, and the broker idle: the tick is over


def product_topics(settings: Settings) -> set[str]:
    names = {getattr(settings, f.name) for f in fields(settings) if f.name.endswith("_topic")}
    return {PUSH_TOPIC, *(n for n in names if isinstance(n, str) and not n.startswith("projects/"))}


class PubSubBridge:
    def __init__(self, project: str, settings: Settings, broker: LocalPublisher, *, subscribe: bool = True) -> None:
        """`subscribe` False: the topics exist and take every publish, nothing is pulled back (`--sweep-only`)."""
        from google.cloud import pubsub_v1

        self.emulator = emulators.start_pubsub()
        os.environ["PUBSUB_EMULATOR_HOST"] = self.emulator.host
        self.publisher = PubSubPublisher(project, create_topics=True)
        self.broker = broker
        self.received = 0
        self.last_at = time.monotonic()
        self._lock = threading.Lock()
        self._subscriber = pubsub_v1.SubscriberClient()
        self._pulls: list[Any] = []
        for topic in sorted(product_topics(settings)):
            path = self.publisher.ensure_topic(topic)
            if not subscribe:
                continue
            subscription = self._subscriber.subscription_path(project, f"bench-{topic}")
            self._subscriber.create_subscription(name=subscription, topic=path, ack_deadline_seconds=60)
            self._pulls.append(self._subscriber.subscribe(subscription, callback=self._handler(topic)))

    def _handler(self, topic: str) -> Any:
        def hand_on(message: Any) -> None:
            self.broker.publish_bytes(topic, message.data)
            message.ack()
            with self._lock:
                self.received += 1
                self.last_at = time.monotonic()
        return hand_on

    def settle(self, timeout: float) -> float:
        """Wait until Pub/Sub has had nothing on its way for QUIET_S and the broker is idle; returns when the broker
        went idle after the last message (monotonic seconds), which is when the work ended."""
        deadline = time.monotonic() + timeout
        seen_last, idle_at = -1.0, 0.0
        while time.monotonic() < deadline:
            if not self.broker.drain(max(0.0, deadline - time.monotonic())):
                break
            now = time.monotonic()
            with self._lock:
                last = self.last_at
            if last != seen_last:  # something came since: the broker's idleness now is the one that counts
                seen_last, idle_at = last, now
            if now - max(last, idle_at) >= QUIET_S:
                return idle_at
            time.sleep(0.05)
        raise TimeoutError(f"Pub/Sub and the broker did not settle in {timeout:.0f} s")

    def stop(self) -> None:
        for pull in self._pulls:
            pull.cancel()
        self._subscriber.close()
        self.emulator.stop()
