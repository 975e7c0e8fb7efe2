"""The BlobStore port on Google Cloud Storage: one object per blob, named by its key, in one bucket.

The bucket belongs to Terraform: this adapter only reads and writes objects in it and creates nothing, so a
missing bucket shows up as an error instead of a bucket with the wrong settings.

Every call, uploads included, uses the library's retry: a put is safe to repeat because keys are
content-addressed ("attachments/<sha256>") or name mail that never changes ("raw/<connection>/<gmail id>.eml"),
so a repeated upload writes the bytes that are there already. Whatever still fails for a reason worth trying
later (429, 5xx, lost connections, retries run out) becomes TransientError; a missing object is KeyError.
Blob bytes never reach a log or an error message, only keys do.
"""

from __future__ import annotations

import contextlib
import http.client
from collections.abc import Iterator, Sequence

import requests
import urllib3
from google.api_core import exceptions as gexc
from google.api_core.retry import Retry
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from google.cloud.storage.exceptions import DataCorruption
from google.cloud.storage.retry import DEFAULT_RETRY

from gmail_tickets.adapters.local_blobs import check_key
from gmail_tickets.errors import TransientError
from gmail_tickets.ports.blobs import BlobItem

_TRANSIENT_CODES = frozenset({408, 429, 500, 502, 503, 504})
_TRANSIENT_TYPES = (
    gexc.RetryError,  # the library's retry ran out of time on one of the errors below
    gexc.TooManyRequests, gexc.InternalServerError, gexc.BadGateway, gexc.ServiceUnavailable,
    gexc.GatewayTimeout, gexc.DeadlineExceeded,
    ConnectionError, requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
    http.client.HTTPException, urllib3.exceptions.HTTPError, auth_exceptions.TransportError,
    DataCorruption,  # a download whose checksum did not match: fetching it again is the fix
)


def emulator_client(host: str, project: str) -> storage.Client:
    """A client for a local Cloud Storage emulator at `host` ("127.0.0.1:PORT"), with no credentials.

    The endpoint is given explicitly rather than through STORAGE_EMULATOR_HOST, so other clients in the
    process keep talking to whatever they were built for."""
    return storage.Client(project=project, credentials=AnonymousCredentials(),
                          client_options={"api_endpoint": f"http://{host}"})


class GcsBlobs:
    """Blobs as objects of the bucket `bucket_name`.

    With no `client`, one is built from the environment (Application Default Credentials, `project` or the
    environment's project). `retry` and `timeout` apply to every request; tests shorten the retry.
    """

    def __init__(self, bucket_name: str, client: storage.Client | None = None, project: str | None = None, *,
                 retry: Retry | None = DEFAULT_RETRY, timeout: float = 60.0) -> None:
        self.client = client if client is not None else storage.Client(project=project)
        self.bucket = self.client.bucket(bucket_name)  # a handle: no request, nothing created
        self._retry = retry
        self._timeout = timeout

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        blob = self.bucket.blob(check_key(key))
        with _translated("put", key):
            blob.upload_from_string(data, content_type=content_type, retry=self._retry, timeout=self._timeout)

    def put_many(self, items: Sequence[BlobItem]) -> None:
        for key, data, content_type in items:  # each upload is durable when it returns
            self.put(key, data, content_type)

    def get(self, key: str) -> bytes:
        blob = self.bucket.blob(check_key(key))
        with _translated("get", key):
            try:
                return blob.download_as_bytes(retry=self._retry, timeout=self._timeout)
            except gexc.NotFound:
                raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        blob = self.bucket.blob(check_key(key))
        with _translated("exists", key):
            return bool(blob.exists(retry=self._retry, timeout=self._timeout))

    def delete(self, key: str) -> None:
        """A missing object is fine: also what a retried delete whose first try went through sees."""
        blob = self.bucket.blob(check_key(key))
        with _translated("delete", key), contextlib.suppress(gexc.NotFound):
            blob.delete(retry=self._retry, timeout=self._timeout)


def is_transient(exc: BaseException) -> bool:
    """True for errors that trying again later may cure (the library's own retry gave up on them)."""
    if isinstance(exc, gexc.GoogleAPICallError) and exc.code in _TRANSIENT_CODES:
        return True
    return isinstance(exc, _TRANSIENT_TYPES)


@contextlib.contextmanager
def _translated(action: str, key: str) -> Iterator[None]:
    """Platform hiccups become TransientError, so services retry later instead of deciding on HTTP codes."""
    try:
        yield
    except Exception as exc:
        if is_transient(exc):
            raise TransientError(f"cloud storage {action} {key!r} failed: {type(exc).__name__}") from exc
        raise
