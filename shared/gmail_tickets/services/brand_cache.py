"""Brands as the ingest path reads them: at most once a minute per process."""

from __future__ import annotations

import threading
import time

from gmail_tickets.domain.model import Brand
from gmail_tickets.ports import ConnectionRepo


class BrandCache:
    """Brands read at most once a minute per process: a new ticket needs its brand's name and template, and
    reading them per mail would cost a store read each."""

    def __init__(self, ttl_seconds: float = 60.0) -> None:
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._brands: dict[str, Brand] = {}
        self._read_at = float("-inf")

    def get(self, store: ConnectionRepo, brand_id: str) -> Brand | None:
        with self._lock:
            if time.monotonic() - self._read_at > self._ttl:
                self._brands = {b.id: b for b in store.list_brands()}
                self._read_at = time.monotonic()
            return self._brands.get(brand_id)

    def forget(self) -> None:
        """After an admin changed a brand: the next read goes to the store."""
        with self._lock:
            self._read_at = float("-inf")
