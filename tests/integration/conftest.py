"""Fixtures several integration suites share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.relay_server import RelayServer
from tests.integration.api_stack import served_api  # noqa: F401  (the served REST API, on each store)


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[RelayServer]:
    """A real SMTP relay (STARTTLS and AUTH required) on a free loopback port, recording what it delivers."""
    with RelayServer(tmp_path / "relay") as server:
        yield server
