"""Presence in the cloud: one document per ticket, `presence/ticket-<id>`, shared by every console instance.

The document holds a map `typing.<key>` → {email, name, until} (the key a hash of the email, since an email is
not a safe field path). A typing agent's browser writes its entry with a merge at most every ~10 s, so an agent
costs at most one write per 10 s of typing, and a poll of the ticket one read. Entries past `until` are skipped
when read; the document also carries `expire_at` (the newest `until` plus a day) for a Firestore TTL policy to
delete documents nobody types in any more (infra: a TTL on `presence.expire_at`; without it they only linger).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from google.cloud import firestore

from gmail_tickets.adapters.firestore_store.client import translated


def _key(email: str) -> str:
    return "a" + hashlib.sha256(email.lower().encode()).hexdigest()[:16]


class FirestorePresence:
    def __init__(self, client: firestore.Client, prefix: str = "") -> None:
        self._client = client
        self._prefix = prefix

    def _ref(self, ticket_id: int) -> firestore.DocumentReference:
        return self._client.collection(self._prefix + "presence").document(f"ticket-{int(ticket_id)}")

    def typing(self, ticket_id: int, email: str, name: str, until: datetime) -> None:
        doc = {"typing": {_key(email): {"email": email, "name": name, "until": until}},
               "expire_at": until + timedelta(days=1)}
        with translated():
            self._ref(ticket_id).set(doc, merge=True)

    def typing_on(self, ticket_id: int, now: datetime) -> dict[str, str]:
        with translated():
            snap = self._ref(ticket_id).get()
        entries = (snap.to_dict() or {}).get("typing", {}) if snap.exists else {}
        return {str(e["email"]): str(e.get("name", "")) for e in entries.values()
                if isinstance(e, dict) and e.get("until") is not None and e["until"] > now}
