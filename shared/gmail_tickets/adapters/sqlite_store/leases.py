"""The records behind LeaseRepo and OAuthFlowRepo on SQLite (their rules: adapters/store_common.py)."""

from __future__ import annotations

from gmail_tickets.adapters.sqlite_store.tx import SqliteTx, doc_text
from gmail_tickets.domain.lease import Lease
from gmail_tickets.domain.model import OAuthFlow


class LeasesTx(SqliteTx):
    def get_lease(self, key: str) -> Lease | None:
        return self._get(Lease, "leases", "key", key)

    def put_lease(self, lease: Lease) -> None:
        self._upsert("leases", {"key": lease.key}, doc_text(lease))

    def delete_lease(self, key: str) -> None:
        self._delete("leases", "key", key)

    def get_oauth_flow(self, nonce: str) -> OAuthFlow | None:
        return self._get(OAuthFlow, "oauth_flows", "nonce", nonce)

    def put_oauth_flow(self, flow: OAuthFlow) -> None:
        self._upsert("oauth_flows", {"nonce": flow.nonce}, doc_text(flow))

    def delete_oauth_flow(self, nonce: str) -> None:
        self._delete("oauth_flows", "nonce", nonce)
