"""The Publisher port on Google Cloud Pub/Sub.

publish() returns only once Pub/Sub has accepted the message (it waits for the publish future): from then on
delivery is at least once, which is what callers rely on when they ack their own input afterwards. Platform
hiccups become TransientError (the event is retried); a missing topic is a deployment error, reported as
TopicNotFound, unless the publisher was built with create_topics=True (the emulator and the local stack).
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import threading
import time
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import grpc
from google.api_core import exceptions as gexc
from google.api_core import retry as retries
from google.cloud import pubsub_v1
from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport

from gmail_tickets.errors import GmailTicketsError, TransientError

log = logging.getLogger(__name__)

_TRANSIENT = (
    gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.InternalServerError, gexc.ResourceExhausted,
    gexc.Aborted, gexc.Unknown, gexc.RetryError,
)


class TopicNotFound(GmailTicketsError):
    """The topic does not exist: infrastructure is missing, retrying will not help until it is created."""


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def encode(data: dict[str, Any]) -> bytes:
    """The message body: compact UTF-8 JSON (datetimes as ISO 8601)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=_json_default).encode()


def emulator_publisher_client(host: str) -> pubsub_v1.PublisherClient:
    """A publisher client for the Pub/Sub emulator at `host`, without setting PUBSUB_EMULATOR_HOST globally."""
    return pubsub_v1.PublisherClient(transport=PublisherGrpcTransport(channel=grpc.insecure_channel(host)))


class PubSubPublisher:
    """Publish JSON messages to Pub/Sub topics of one project.

    `topic` given to publish() is a short name ("outbound-mail") or a full path ("projects/p/topics/t").
    With no `client` and no `emulator_host`, the client is built from the environment (so
    PUBSUB_EMULATOR_HOST is honoured, as the library does).
    """

    def __init__(
        self,
        project: str,
        *,
        create_topics: bool = False,
        emulator_host: str | None = None,
        client: pubsub_v1.PublisherClient | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.project = project
        self.create_topics = create_topics
        self.timeout = timeout
        if client is None:
            client = emulator_publisher_client(emulator_host) if emulator_host else pubsub_v1.PublisherClient()
        self._client = client
        self._ensured: set[str] = set()
        self._lock = threading.Lock()

    @property
    def client(self) -> pubsub_v1.PublisherClient:
        return self._client

    def topic_path(self, topic: str) -> str:
        return topic if topic.startswith("projects/") else self._client.topic_path(self.project, topic)

    def ensure_topic(self, topic: str) -> str:
        """Create the topic unless it exists; returns its path. For emulators and local stacks only:
        in the cloud, Terraform owns topics and the runtime account may not create them."""
        path = self.topic_path(topic)
        with self._lock:
            if path in self._ensured:
                return path
        try:
            retry = retries.Retry(predicate=retries.if_exception_type(*_TRANSIENT), initial=0.1, maximum=2.0,
                                  timeout=self.timeout)
            self._client.create_topic(request={"name": path}, retry=retry, timeout=self.timeout)
            log.info("created topic %s", path)
        except gexc.AlreadyExists:
            pass
        except _TRANSIENT as exc:
            raise TransientError(f"pubsub unavailable creating {path}: {type(exc).__name__}") from exc
        with self._lock:
            self._ensured.add(path)
        return path

    def publish(self, topic: str, data: dict[str, Any]) -> None:
        """Publish `data` as JSON; returns once the broker has it."""
        self.publish_many(topic, [data])

    def publish_many(self, topic: str, messages: Sequence[dict[str, Any]]) -> None:
        """Publish every message, then wait for them all at once (the client batches them): returns once the
        broker has each; the first failure is raised after every future has settled."""
        path = self.ensure_topic(topic) if self.create_topics else self.topic_path(topic)
        futures = [self._client.publish(path, encode(data)) for data in messages]
        deadline = time.monotonic() + self.timeout
        failures = [f for f in (self._settle(future, path, deadline) for future in futures) if f is not None]
        if failures:
            raise failures[0] from failures[0].__cause__
        log.debug("published %d message(s) to %s", len(futures), path)

    def _settle(self, future: Any, path: str, deadline: float) -> GmailTicketsError | None:
        """Wait for one publish until `deadline`; what went wrong, as the error callers know (None: it went)."""
        try:
            future.result(timeout=max(0.0, deadline - time.monotonic()))
            return None
        except gexc.NotFound as exc:
            error: GmailTicketsError = TopicNotFound(
                f"Pub/Sub topic {path} does not exist (create it, or use create_topics)")
            cause: BaseException = exc
        except _TRANSIENT as exc:
            error, cause = TransientError(f"pubsub publish to {path} failed: {type(exc).__name__}"), exc
        except (TimeoutError, concurrent.futures.TimeoutError) as exc:
            error, cause = TransientError(f"pubsub publish to {path} not confirmed within {self.timeout:g}s"), exc
        error.__cause__ = cause
        return error

    def close(self) -> None:
        """Flush pending batches and stop the client's background threads."""
        self._client.stop()
