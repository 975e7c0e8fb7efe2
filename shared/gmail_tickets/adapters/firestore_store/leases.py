"""The records behind LeaseRepo and OAuthFlowRepo on Firestore, leases/{key} and oauth_flows/{nonce} (their
rules: adapters/store_common.py)."""

from __future__ import annotations

from gmail_tickets.adapters.firestore_store.transaction import FirestoreTx
from gmail_tickets.adapters.records import to_doc
from gmail_tickets.domain.lease import Lease
from gmail_tickets.domain.model import OAuthFlow


class LeasesTx(FirestoreTx):
    def get_lease(self, key: str) -> Lease | None:
        return self.read_record(Lease, self._store._ref("leases", key))

    def put_lease(self, lease: Lease) -> None:
        self.set(self._store._ref("leases", lease.key), to_doc(lease))

    def delete_lease(self, key: str) -> None:
        self.delete(self._store._ref("leases", key))

    def get_oauth_flow(self, nonce: str) -> OAuthFlow | None:
        return self.read_record(OAuthFlow, self._store._ref("oauth_flows", nonce))

    def put_oauth_flow(self, flow: OAuthFlow) -> None:
        # `ttl_at`, a Firestore timestamp (records keep times as text), lets a TTL policy sweep abandoned flows.
        self.set(self._store._ref("oauth_flows", flow.nonce), {**to_doc(flow), "ttl_at": flow.expires_at})

    def delete_oauth_flow(self, nonce: str) -> None:
        self.delete(self._store._ref("oauth_flows", nonce))
