"""Values too big for one Firestore document (1 MiB, enforced by the emulator too): raw mail and comment
bodies beyond INLINE_LIMIT go to content-addressed chunk documents under their record's document."""

from __future__ import annotations

import hashlib

from google.cloud.firestore_v1.document import DocumentReference

from gmail_tickets.adapters.firestore_store.base import FirestoreBase
from gmail_tickets.adapters.firestore_store.client import translated
from gmail_tickets.adapters.firestore_store.transaction import Doc

INLINE_LIMIT = 900_000  # bytes of raw mail or comment bodies kept inside their document (limit: 1 MiB)
CHUNK_SIZE = 900_000
_CHUNKS_PER_COMMIT = 3  # ~2.7 MB a request: under the emulator's 4 MiB gRPC cap and production's 10 MiB


class Spilling(FirestoreBase):
    def _spill(self, ref: DocumentReference, field: str, data: bytes) -> Doc:
        """Keep `data` in chunk documents under `ref`/chunks; returns the fields that find them again.

        Too big for one transaction's request too (10 MiB in production, 4 MiB on the emulator), so chunks go
        first, in their own commits. They are named by content: rewriting them (a retried attempt) is harmless
        and never alters bytes another document refers to; an attempt that never commits leaves only
        unreferenced chunks behind. Nothing is truncated.
        """
        digest = hashlib.sha256(data).hexdigest()
        chunks = [data[i : i + CHUNK_SIZE] for i in range(0, len(data), CHUNK_SIZE)]
        refs = _chunk_refs(ref, digest, len(chunks))
        for start in range(0, len(chunks), _CHUNKS_PER_COMMIT):
            batch = self._client.batch()
            part = list(zip(refs[start : start + _CHUNKS_PER_COMMIT], chunks[start : start + _CHUNKS_PER_COMMIT],
                            strict=True))
            for chunk_ref, chunk in part:
                batch.set(chunk_ref, {"data": chunk})
            with translated():
                batch.commit()
            self._count(len(part))
        return {f"{field}_chunks": len(chunks), f"{field}_sha256": digest, f"{field}_size": len(data)}

    def _unspill(self, ref: DocumentReference, doc: Doc, field: str) -> bytes:
        digest = doc[f"{field}_sha256"]
        refs = _chunk_refs(ref, digest, int(doc[f"{field}_chunks"]))
        with translated():
            parts = {s.id: s.get("data") for s in self._client.get_all(refs) if s.exists}
        data = b"".join(bytes(parts.get(r.id) or b"") for r in refs)
        if len(data) != doc[f"{field}_size"] or hashlib.sha256(data).hexdigest() != digest:
            raise RuntimeError(f"{ref.path}: the chunks of {field} are incomplete in the store")
        return data


def _chunk_refs(ref: DocumentReference, digest: str, count: int) -> list[DocumentReference]:
    return [ref.collection("chunks").document(f"{digest[:32]}-{n:05d}") for n in range(count)]
