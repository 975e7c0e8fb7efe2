"""The platform around the services: messaging, secrets, time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

Handler = Callable[[bytes], object]
"""Takes one message's data; raising means "deliver it again later"."""


class Publisher(Protocol):
    def publish(self, topic: str, data: dict[str, Any]) -> None:
        """Publish a JSON message; returns once the broker has it (at-least-once from here on)."""

    def publish_many(self, topic: str, messages: Sequence[dict[str, Any]]) -> None:
        """Publish each message; returns once the broker has them all. Sent together and waited for once, so
        a thousand cost about what one does (the sweep's fan-out). A failure raises after all were tried; a
        retry may publish again the ones that went (delivery is at least once anyway)."""


class Subscriber(Protocol):
    """Delivers a topic's messages to handlers in this process: how the embedded runtime is fed (in the cloud,
    Pub/Sub pushes to the functions instead)."""

    def subscribe(self, topic: str, handler: Handler) -> None: ...

    def start(self) -> object:
        """Begin delivering."""

    def stop(self) -> None:
        """Stop delivering; what is in flight finishes first."""


class Secrets(Protocol):
    def get(self, name: str) -> str | None: ...
    def put(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
