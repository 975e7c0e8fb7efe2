"""The cloud Store on Firestore (see store.py for how it is composed)."""

from gmail_tickets.adapters.firestore_store.client import emulator_client
from gmail_tickets.adapters.firestore_store.spill import CHUNK_SIZE, INLINE_LIMIT
from gmail_tickets.adapters.firestore_store.store import REQUIRED_INDEXES, FirestoreStore, FirestoreUnitOfWork

__all__ = ["CHUNK_SIZE", "INLINE_LIMIT", "REQUIRED_INDEXES", "FirestoreStore", "FirestoreUnitOfWork", "emulator_client"]
