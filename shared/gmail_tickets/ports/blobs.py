"""Raw mail and attachments: bytes kept outside the Store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

BlobItem = tuple[str, bytes, str]  # key, bytes, content type


class BlobStore(Protocol):
    """Bytes too big or too binary for the Store: raw mail and attachments. Local folder embedded, Cloud Storage
    in the cloud. Writes are idempotent (same key, same bytes), so they happen outside store transactions."""

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...

    def put_many(self, items: Sequence[BlobItem]) -> None:
        """`put` for each; every one of them durable when this returns (a folder synced once for all)."""

    def get(self, key: str) -> bytes:
        """Raises KeyError when there is no such blob."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Removing a missing blob is not an error."""
