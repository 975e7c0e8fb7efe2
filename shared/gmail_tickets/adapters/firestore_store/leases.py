"""The records behind LeaseRepo and OAuthFlowRepo on Firestore, leases/{key} and oauth_flows/{nonce} (their
rules: adapters/store_common.py).

A lease is settled WITHOUT a transaction: read the document, apply the domain's rule (the same `decide` the
transactional stores run), and write what it decided on condition that the document is as read (it does not
exist yet, or its update_time is the one read). A write someone else made meanwhile fails that condition, and the
rule is applied again to what is there now. Why: a transaction's locks outlive a client killed inside it until
the transaction idles out (~60 s on the emulator and in real Firestore's pessimistic mode), and the lease is
written several times a second per busy mailbox, so a killed function instance often left its mailbox's lease
locked, and its syncs stalled, for a minute. A precondition holds no lock: a dead writer leaves nothing behind.
No transaction reads leases/{key} either (the emulator makes a plain write wait on a transaction's read lock).
"""

from __future__ import annotations

import random
import time

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.document import DocumentReference, DocumentSnapshot

from gmail_tickets.adapters import records
from gmail_tickets.adapters.firestore_store.base import FirestoreBase
from gmail_tickets.adapters.firestore_store.client import translated
from gmail_tickets.adapters.firestore_store.transaction import FirestoreTx
from gmail_tickets.adapters.records import to_doc
from gmail_tickets.adapters.store_common import LeaseDecision, LeaseRepoRules
from gmail_tickets.domain.lease import Lease, LeaseStep
from gmail_tickets.domain.model import OAuthFlow
from gmail_tickets.errors import TransientError

CAS_ATTEMPTS = 12  # writers of one lease are a few syncs and a heartbeat: a handful of rounds settles them


class LeasesRepo(FirestoreBase, LeaseRepoRules):
    def _settle_lease(self, key: str, decide: LeaseDecision) -> LeaseStep:
        """Read, decide, write if unchanged; on a lost race, read and decide again (a bounded number of times)."""
        ref = self._ref("leases", key)
        for attempt in range(1, CAS_ATTEMPTS + 1):
            snap = self._get(ref)
            step = decide(records.from_doc(Lease, snap.to_dict() or {}) if snap.exists else None)
            try:
                with translated():
                    self._count(_write_if_unchanged(self.client, ref, snap, step))
                return step
            except gexc.Aborted as exc:  # (a Conflict too) a lock: only a transaction reading the lease holds one
                raise TransientError(f"lease {key} locked") from exc
            except (gexc.FailedPrecondition, gexc.Conflict):  # written meanwhile (Conflict: created meanwhile)
                time.sleep(0.005 * attempt * random.random())
        raise TransientError(f"lease {key} kept changing under {CAS_ATTEMPTS} attempts")


def _write_if_unchanged(client: firestore.Client, ref: DocumentReference, snap: DocumentSnapshot,
                        step: LeaseStep) -> int:
    """Write what `step` decided, on condition that the document is still `snap`; return the writes made."""
    if step.write is not None:
        if snap.exists:  # every field of the record is written, so an update replaces it whole
            ref.update(to_doc(step.write), option=client.write_option(last_update_time=snap.update_time))
        else:
            ref.create(to_doc(step.write))  # fails if the document exists
        return 1
    if step.delete and snap.exists:
        ref.delete(option=client.write_option(last_update_time=snap.update_time))
        return 1
    return 0


class OAuthFlowsTx(FirestoreTx):
    def get_oauth_flow(self, nonce: str) -> OAuthFlow | None:
        return self.read_record(OAuthFlow, self._store._ref("oauth_flows", nonce))

    def put_oauth_flow(self, flow: OAuthFlow) -> None:
        # `ttl_at`, a Firestore timestamp (records keep times as text), lets a TTL policy sweep abandoned flows.
        self.set(self._store._ref("oauth_flows", flow.nonce), {**to_doc(flow), "ttl_at": flow.expires_at})

    def delete_oauth_flow(self, nonce: str) -> None:
        self.delete(self._store._ref("oauth_flows", nonce))
