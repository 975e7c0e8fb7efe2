"""The Firestore client: built for the emulator without touching os.environ for good, and platform hiccups
turned into TransientError."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from google.api_core import exceptions as gexc
from google.cloud import firestore

from gmail_tickets.errors import TransientError

TRANSIENT = (
    gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.InternalServerError, gexc.ResourceExhausted,
    gexc.RetryError, gexc.Unknown,
)

_env_lock = threading.Lock()


def emulator_client(host: str, project: str) -> firestore.Client:
    """A client for the Firestore emulator at `host` ("127.0.0.1:PORT"), without touching os.environ for good.

    The library only looks at FIRESTORE_EMULATOR_HOST while constructing the client, so we set it just for
    that moment; other clients in the process keep talking to whatever they were built for.
    """
    with _env_lock:
        saved = os.environ.get("FIRESTORE_EMULATOR_HOST")
        os.environ["FIRESTORE_EMULATOR_HOST"] = host
        try:
            return firestore.Client(project=project)
        finally:
            if saved is None:
                del os.environ["FIRESTORE_EMULATOR_HOST"]
            else:
                os.environ["FIRESTORE_EMULATOR_HOST"] = saved


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Platform hiccups become TransientError, so services retry later instead of deciding on gRPC codes."""
    try:
        yield
    except TRANSIENT as exc:
        raise TransientError(f"firestore unavailable: {type(exc).__name__}") from exc
