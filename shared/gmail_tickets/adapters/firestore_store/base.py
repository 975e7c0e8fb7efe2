"""What the store side of every Firestore role module stands on: the client, collection names, single-document
operations outside transactions, and the write count."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from google.cloud import firestore
from google.cloud.firestore_v1.document import DocumentReference, DocumentSnapshot
from google.cloud.firestore_v1.query import Query

from gmail_tickets.adapters import records
from gmail_tickets.adapters.firestore_store.client import translated
from gmail_tickets.adapters.firestore_store.keys import doc_id, document_id
from gmail_tickets.adapters.firestore_store.transaction import Doc
from gmail_tickets.adapters.store_common import TransactionRunner
from gmail_tickets.domain.paging import Page, PageRequest, page_of

R = TypeVar("R")


class FirestoreBase(TransactionRunner):
    """`client` is a `firestore.Client`, or a project id (also accepted as `project=`) to build one from the
    environment (FIRESTORE_EMULATOR_HOST is honoured). `prefix` goes before every top-level collection name."""

    def __init__(
        self,
        client: firestore.Client | str | None = None,
        prefix: str = "",
        *,
        project: str | None = None,
        max_attempts: int = 30,
        id_block: int = 20,
    ) -> None:
        if isinstance(client, firestore.Client):
            self._client = client
        else:
            self._client = firestore.Client(project=client or project)
        self.prefix = prefix
        self.write_count = 0
        self._max_attempts = max_attempts  # the emulator's 2 s lock timeout makes each conflict slow
        self._id_block = id_block
        self._lock = threading.Lock()  # guards write_count and the id block
        self._next_id = 1
        self._block_end = 0  # nothing reserved yet

    @property
    def client(self) -> firestore.Client:
        return self._client

    def _col(self, name: str) -> firestore.CollectionReference:
        return self._client.collection(self.prefix + name)

    def _ref(self, collection: str, *key: str) -> DocumentReference:
        """The document of a record keyed by `key` (its parts joined by doc_id) in a top-level collection."""
        return self._col(collection).document(doc_id(*key))

    def _count(self, writes: int) -> None:
        if writes:
            with self._lock:
                self.write_count += writes

    def _get(self, ref: DocumentReference) -> DocumentSnapshot:
        with translated():
            return ref.get()

    def _get_record(self, cls: type[R], ref: DocumentReference) -> R | None:
        snap = self._get(ref)
        return records.from_doc(cls, snap.to_dict() or {}) if snap.exists else None

    def _set(self, ref: DocumentReference, doc: Doc) -> None:
        with translated():
            ref.set(doc)
        self._count(1)

    def _delete(self, ref: DocumentReference) -> None:
        with translated():
            ref.delete()
        self._count(1)

    def _stream(self, query: Query | firestore.CollectionReference) -> list[DocumentSnapshot]:
        with translated():
            return list(query.stream())

    def _records(self, cls: type[R], query: Query | firestore.CollectionReference) -> list[R]:
        return [records.from_doc(cls, s.to_dict() or {}) for s in self._stream(query)]

    def _page(self, collection: str, query: Query | firestore.CollectionReference, fields: tuple[str, ...],
              page: PageRequest, convert: Callable[[DocumentSnapshot], R]) -> Page[R]:
        """A keyset page ordered by `fields` (largest first) and then the document id, which Firestore appends
        to every order: the cursor's key is the id of the document the page starts after, read once more so
        `start_after` takes its whole position (ties on `fields` fall to the id, nothing is skipped)."""
        direction = firestore.Query.ASCENDING if page.backward else firestore.Query.DESCENDING
        for field in fields:
            query = query.order_by(field, direction=direction)
        page = page.fitting(str)
        if page.after is not None:
            mark = self._get(self._col(collection).document(page.after[0])) if document_id(page.after[0]) else None
            if mark is not None and mark.exists:
                query = query.start_after(mark)
            else:
                page = PageRequest(page.limit)  # gone or not this list's: start from the top
        found = page_of(self._stream(query.limit(page.limit + 1)), page, lambda s: (s.id,))
        return Page([convert(s) for s in found.items], found.older, found.newer)

    def _count_of(self, query: Query | firestore.CollectionReference) -> int:
        """An aggregation query: the server counts index entries and sends one number, never the documents."""
        with translated():
            result = query.count().get()
        return int(result[0][0].value)
