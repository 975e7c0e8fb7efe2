"""users.watch / users.stop and the notifications Gmail publishes for a watched mailbox.

Pacing follows Gmail: at most one notification per mailbox per `push_min_interval_s` (1 s). The first
change is published at once; further changes inside the window produce ONE trailing notification carrying
the newest historyId. Every change of a watched mailbox counts, whatever the watch's labelIds say (Gmail
notifies for sent mail and drafts even with an INBOX filter). Optional delay and drop probability model
late and lost notifications.

Where a notification goes, first match wins (explicit settings beat the environment): the in-process
callback (`set_callback`), the configured HTTP URL (a Pub/Sub push body), the Pub/Sub emulator (topic from
the watch or `push_pubsub_topic`; host from `push_pubsub_emulator_host`, else PUBSUB_EMULATOR_HOST). With
none of these it is only recorded (see `recent`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import random
import re
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .clock import SimClock
from .config import SimConfig

log = logging.getLogger(__name__)
TOPIC = re.compile(r"^projects/[^/\s]+/topics/[^/\s]+$")
PushCallback = Callable[[str, str], None]
"""fn(email_address, history_id) — history_id as the decimal string Gmail puts in the push data."""


@dataclass
class Watch:
    topic: str
    label_ids: list[str]
    behavior: str
    expires_at: float


@dataclass
class _Pace:
    last_emit: float = float("-inf")
    due: float | None = None
    latest: int = 0


class PushHub:
    def __init__(self, config: SimConfig, clock: SimClock, rng: random.Random) -> None:
        self._config = config
        self._clock = clock
        self._rng = rng
        self._cv = threading.Condition()
        self._watches: dict[str, Watch] = {}
        self._pace: dict[str, _Pace] = {}
        self._callback: PushCallback | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="gmail-sim-push")
        self._publisher: Any = None
        self.stats = {"changes": 0, "coalesced": 0, "published": 0, "dropped": 0, "delivered": 0, "failed": 0}
        self.recent: deque[dict[str, Any]] = deque(maxlen=500)

    # ---- configuration ----------------------------------------------------------------------------------
    def set_callback(self, callback: PushCallback | None) -> None:
        self._callback = callback

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change push_* settings of the config (url, pubsub_topic, delay_s, drop_rate, min_interval_s,
        subscription); keys may omit the `push_` prefix."""
        for key, value in changes.items():
            name = key if key.startswith("push_") else f"push_{key}"
            if not hasattr(self._config, name):
                raise ValueError(f"unknown push setting: {key}")
            setattr(self._config, name, value)
        self._publisher = None  # rebuilt for a changed emulator host
        return self.settings()

    def settings(self) -> dict[str, Any]:
        c = self._config
        return {
            "url": c.push_url,
            "pubsub_topic": c.push_pubsub_topic,
            "pubsub_emulator_host": c.push_pubsub_emulator_host,
            "subscription": c.push_subscription,
            "delay_s": c.push_delay_s,
            "drop_rate": c.push_drop_rate,
            "min_interval_s": c.push_min_interval_s,
            "callback": self._callback is not None,
            "pubsub_emulator": os.environ.get("PUBSUB_EMULATOR_HOST"),
        }

    # ---- watches ----------------------------------------------------------------------------------------
    def watch(self, address: str, topic: str, label_ids: list[str], behavior: str) -> int:
        expires_at = self._clock.now() + self._config.watch_ttl_s
        with self._cv:
            self._watches[address] = Watch(topic, label_ids, behavior, expires_at)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="gmail-sim-push-pacer", daemon=True)
                self._thread.start()
        return int(expires_at * 1000)

    def stop(self, address: str) -> None:
        with self._cv:
            self._watches.pop(address, None)
            self._pace.pop(address, None)

    def watches(self) -> dict[str, dict[str, Any]]:
        with self._cv:
            return {
                a: {
                    "topicName": w.topic,
                    "labelIds": w.label_ids,
                    "labelFilterBehavior": w.behavior,
                    "expiration": str(int(w.expires_at * 1000)),
                    "active": w.expires_at > self._clock.now(),
                }
                for a, w in self._watches.items()
            }

    # ---- changes ----------------------------------------------------------------------------------------
    def changed(self, address: str, history_id: int) -> None:
        """Called for every history record; cheap and non-blocking (the pacer thread publishes)."""
        with self._cv:
            watch = self._watches.get(address)
            if watch is None or watch.expires_at <= self._clock.now():
                return
            self.stats["changes"] += 1
            pace = self._pace.setdefault(address, _Pace())
            pace.latest = max(pace.latest, history_id)
            if pace.due is None:
                pace.due = max(time.monotonic(), pace.last_emit + self._config.push_min_interval_s)
                self._cv.notify()
            else:
                self.stats["coalesced"] += 1

    def _run(self) -> None:
        while True:
            with self._cv:
                if self._closed:
                    return
                now = time.monotonic()
                due = [(a, p) for a, p in self._pace.items() if p.due is not None and p.due <= now]
                if not due:
                    pending = [p.due for p in self._pace.values() if p.due is not None]
                    self._cv.wait(timeout=(min(pending) - now) if pending else None)
                    continue
                emits = []
                for address, pace in due:
                    emits.append((address, pace.latest))
                    pace.last_emit, pace.due = now, None
            for address, history_id in emits:
                self._emit(address, history_id)

    def _emit(self, address: str, history_id: int) -> None:
        with self._cv:
            watch = self._watches.get(address)
            if watch is None:
                return
            if self._config.push_drop_rate and self._rng.random() < self._config.push_drop_rate:
                self.stats["dropped"] += 1
                self.recent.append({"emailAddress": address, "historyId": str(history_id), "dropped": True})
                return
            self.stats["published"] += 1
        with contextlib.suppress(RuntimeError):  # the pool is shut down: the simulator is closing
            self._pool.submit(self._deliver, address, str(history_id), watch.topic)

    # ---- delivery ---------------------------------------------------------------------------------------
    def _deliver(self, address: str, history_id: str, topic: str) -> None:
        if self._config.push_delay_s:
            time.sleep(self._config.push_delay_s)
        data = json.dumps({"emailAddress": address, "historyId": history_id}).encode()
        entry: dict[str, Any] = {"emailAddress": address, "historyId": history_id, "at": self._clock.now()}
        try:
            if self._callback is not None:
                entry["sink"] = "callback"
                self._callback(address, history_id)
            elif self._config.push_url:
                entry["sink"] = "http"
                self._post(self._config.push_url, data, topic)
            elif self._config.push_pubsub_emulator_host or os.environ.get("PUBSUB_EMULATOR_HOST"):
                entry["sink"] = "pubsub"
                self._publish(self._config.push_pubsub_topic or topic, data)
            else:
                entry["sink"] = "none"
            entry["ok"] = True
            with self._cv:
                self.stats["delivered"] += 1
        except Exception as exc:  # a broken receiver must not kill the pacer
            log.warning("push to %s failed: %s", entry.get("sink"), exc)
            entry["ok"] = False
            with self._cv:
                self.stats["failed"] += 1
        self.recent.append(entry)

    def _post(self, url: str, data: bytes, topic: str) -> None:
        project = topic.split("/")[1] if topic.startswith("projects/") else "sim"
        message_id = str(self._rng.randint(10**15, 10**16 - 1))
        publish_time = datetime.fromtimestamp(self._clock.now(), UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        body = {
            "message": {
                "data": base64.b64encode(data).decode(),
                "messageId": message_id,
                "message_id": message_id,
                "publishTime": publish_time,
                "publish_time": publish_time,
                "attributes": {},
            },
            "subscription": self._config.push_subscription or f"projects/{project}/subscriptions/gmail-sim-push",
        }
        request = urllib.request.Request(
            url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
        )
        last: Exception | None = None
        for attempt in range(self._config.push_http_retries + 1):
            if attempt:
                time.sleep(0.2 * 2 ** (attempt - 1))
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    if 200 <= response.status < 300:
                        return
                    last = RuntimeError(f"push endpoint answered {response.status}")
            except Exception as exc:  # HTTPError, URLError, timeouts: Pub/Sub would retry too
                last = exc
        raise last or RuntimeError("push failed")

    def _publish(self, topic: str, data: bytes) -> None:
        if self._publisher is None:
            import grpc
            from google.cloud import pubsub_v1
            from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport

            host = self._config.push_pubsub_emulator_host
            self._publisher = (
                pubsub_v1.PublisherClient(transport=PublisherGrpcTransport(channel=grpc.insecure_channel(host)))
                if host
                else pubsub_v1.PublisherClient()  # honours PUBSUB_EMULATOR_HOST
            )
        self._publisher.publish(topic, data).result(timeout=10)

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        self._pool.shutdown(wait=False, cancel_futures=True)
