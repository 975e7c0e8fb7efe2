"""The Secrets port on Google Secret Manager: one secret per name, its newest version is the value.

- get: access version "latest"; a secret that does not exist (or has no versions) is None.
- put: add a version (creating the secret, automatic replication, when it is missing: another instance may win
  that race, AlreadyExists is fine), then destroy every older version, so a replaced refresh token does not stay
  readable (nor billed as an active version). Only versions older than ours are destroyed: two racing puts leave
  the newer one, last writer wins. Cleanup that fails only warns: the value is stored, and the next put destroys
  whatever is left.
- delete: delete the secret with all its versions; a missing one is fine.

Payloads carry a CRC32C both ways, as Google recommends. Unavailable and DeadlineExceeded are retried with
backoff (google-api-core's Retry); what still fails for a transient reason becomes TransientError. Values never
reach a log or an error message, only secret names do.

Google's library (and grpc with it, about 0.3 s) is imported when an instance is built, not with this module, so
importing the adapters costs a function instance nothing unless GT_SECRETS=secretmanager. Like the Firestore and
Pub/Sub libraries do for their emulators, SECRET_MANAGER_EMULATOR_HOST ("127.0.0.1:PORT") points the default
client at a local server (devstack/secret_manager_server.py) over plaintext gRPC, with no credentials.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from gmail_tickets.errors import TransientError

if TYPE_CHECKING:
    from google.api_core.retry import Retry
    from google.cloud.secretmanager_v1 import SecretManagerServiceClient

log = logging.getLogger(__name__)

EMULATOR_HOST_ENV = "SECRET_MANAGER_EMULATOR_HOST"
MAX_PAYLOAD_BYTES = 65536  # Secret Manager's limit per version
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def emulator_client(host: str) -> SecretManagerServiceClient:
    """A client for a local Secret Manager server at `host` ("127.0.0.1:PORT"): plaintext gRPC, no credentials."""
    import grpc
    from google.cloud.secretmanager_v1.services.secret_manager_service import SecretManagerServiceClient
    from google.cloud.secretmanager_v1.services.secret_manager_service.transports import (
        SecretManagerServiceGrpcTransport,
    )

    return SecretManagerServiceClient(transport=SecretManagerServiceGrpcTransport(channel=grpc.insecure_channel(host)))


def default_retry(timeout: float = 30.0) -> Retry:
    """Retry what a moment later may cure: the service unavailable, a call that ran out of time."""
    from google.api_core import exceptions as gexc
    from google.api_core.retry import Retry, if_exception_type

    return Retry(predicate=if_exception_type(gexc.ServiceUnavailable, gexc.DeadlineExceeded),
                 initial=0.1, maximum=5.0, multiplier=2.0, timeout=timeout)


class SecretManagerSecrets:
    """Secrets of `project` ("my-project" or its number). With no `client`, one is built from the environment
    (Application Default Credentials; SECRET_MANAGER_EMULATOR_HOST when set). `call_timeout` bounds each attempt,
    `retry` the whole call."""

    def __init__(self, project: str, client: SecretManagerServiceClient | None = None, *,
                 retry: Retry | None = None, call_timeout: float = 10.0) -> None:
        from google.api_core import exceptions as gexc

        if client is None:
            host = os.environ.get(EMULATOR_HOST_ENV)
            if host:
                client = emulator_client(host)
            else:
                from google.cloud.secretmanager_v1.services.secret_manager_service import SecretManagerServiceClient

                client = SecretManagerServiceClient()
        self.project = project
        self.client = client
        self._gexc = gexc
        self._retry = retry if retry is not None else default_retry()
        self._timeout = call_timeout

    def get(self, name: str) -> str | None:
        gexc = self._gexc
        with self._translated("get", name):
            try:
                response = self.client.access_secret_version(
                    request={"name": f"{self._path(name)}/versions/latest"}, retry=self._retry, timeout=self._timeout)
            except gexc.NotFound:
                return None
            except gexc.FailedPrecondition:
                # The newest version was disabled or destroyed by hand: there is no usable value.
                log.warning("secret has no usable latest version", extra={"secret": name})
                return None
        payload = response.payload
        if "data_crc32c" in payload and payload.data_crc32c != _crc32c(payload.data):
            raise TransientError(f"secret {name!r}: payload checksum mismatch")
        try:
            return payload.data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"secret {name!r} is not UTF-8 text") from None

    def put(self, name: str, value: str) -> None:
        gexc = self._gexc
        data = value.encode("utf-8")
        if len(data) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"secret {name!r}: {len(data)} bytes, Secret Manager keeps at most {MAX_PAYLOAD_BYTES}")
        secret = self._path(name)
        request = {"parent": secret, "payload": {"data": data, "data_crc32c": _crc32c(data)}}
        with self._translated("put", name):
            try:
                version = self.client.add_secret_version(request=request, retry=self._retry, timeout=self._timeout)
            except gexc.NotFound:
                self._create(name)
                version = self.client.add_secret_version(request=request, retry=self._retry, timeout=self._timeout)
        number = _version_number(version.name)
        destroyed = self._destroy_older(name, number)
        log.info("secret stored", extra={"secret": name, "version": number, "destroyed_versions": destroyed})

    def delete(self, name: str) -> None:
        with self._translated("delete", name), contextlib.suppress(self._gexc.NotFound):
            self.client.delete_secret(request={"name": self._path(name)}, retry=self._retry, timeout=self._timeout)
            log.info("secret deleted", extra={"secret": name})

    # ------------------------------------------------------------------ helpers

    def _path(self, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError(f"not a Secret Manager secret id (letters, digits, '-', '_'; at most 255): {name!r}")
        return f"projects/{self.project}/secrets/{name}"

    def _create(self, name: str) -> None:
        """Create-if-absent: another instance creating it first is the same outcome."""
        with contextlib.suppress(self._gexc.AlreadyExists):
            self.client.create_secret(
                request={"parent": f"projects/{self.project}", "secret_id": name,
                         "secret": {"replication": {"automatic": {}}, "labels": {"managed-by": "gmail-tickets"}}},
                retry=self._retry, timeout=self._timeout)

    def _destroy_older(self, name: str, number: int) -> int:
        """Destroy the versions older than `number` that are not destroyed yet; how many this call destroyed."""
        from google.cloud.secretmanager_v1.types import SecretVersion

        gexc = self._gexc
        destroyed = 0
        try:
            versions = self.client.list_secret_versions(request={"parent": self._path(name)}, retry=self._retry,
                                                        timeout=self._timeout)
            for version in versions:
                if _version_number(version.name) >= number or version.state == SecretVersion.State.DESTROYED:
                    continue
                try:
                    self.client.destroy_secret_version(request={"name": version.name}, retry=self._retry,
                                                       timeout=self._timeout)
                    destroyed += 1
                except (gexc.FailedPrecondition, gexc.NotFound):
                    pass  # a racing put destroyed it first, or a delete took the secret
        except gexc.NotFound:
            pass  # deleted meanwhile: nothing is left to linger
        except gexc.GoogleAPIError as exc:  # incl. RetryError: the value is stored, the next put cleans up
            log.warning("older secret versions not destroyed", extra={"secret": name, "error": type(exc).__name__})
        return destroyed

    @contextlib.contextmanager
    def _translated(self, action: str, name: str) -> Iterator[None]:
        """Failures worth trying later become TransientError (the services retry those); the rest propagate."""
        gexc = self._gexc
        try:
            yield
        except (gexc.RetryError, gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.TooManyRequests,
                gexc.InternalServerError, gexc.Aborted) as exc:
            raise TransientError(f"secret manager {action} {name!r} failed: {type(exc).__name__}") from exc


def _version_number(version_name: str) -> int:
    return int(version_name.rsplit("/", 1)[1])


def _crc32c(data: bytes) -> int:
    import google_crc32c

    return int(google_crc32c.value(data))

