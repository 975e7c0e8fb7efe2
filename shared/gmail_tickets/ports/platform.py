"""The platform around the services: messaging, secrets, time."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class Publisher(Protocol):
    def publish(self, topic: str, data: dict[str, Any]) -> None:
        """Publish a JSON message; returns once the broker has it (at-least-once from here on)."""


class Secrets(Protocol):
    def get(self, name: str) -> str | None: ...
    def put(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
