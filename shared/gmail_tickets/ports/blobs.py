"""Raw mail and attachments: bytes kept outside the Store."""

from __future__ import annotations

from typing import Protocol


class BlobStore(Protocol):
    """Bytes too big or too binary for the Store: raw mail and attachments. Local folder embedded, Cloud Storage
    in the cloud. Writes are idempotent (same key, same bytes), so they happen outside store transactions."""

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...

    def get(self, key: str) -> bytes:
        """Raises KeyError when there is no such blob."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Removing a missing blob is not an error."""
