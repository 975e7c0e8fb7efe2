"""ConnectionRepo on Firestore: connections/{address}, support_addresses/{address}, brands/{id}, each
records.py's dict of the record."""

from __future__ import annotations

from collections.abc import Sequence

from gmail_tickets.adapters import records
from gmail_tickets.adapters.firestore_store.base import FirestoreBase
from gmail_tickets.adapters.firestore_store.client import translated
from gmail_tickets.adapters.firestore_store.transaction import FirestoreTx
from gmail_tickets.adapters.records import to_doc
from gmail_tickets.domain.model import Brand, Connection, SupportAddress


class ConnectionsTx(FirestoreTx):
    def get_connection(self, address: str) -> Connection | None:
        return self.read_record(Connection, self._store._ref("connections", address))

    def put_connection(self, connection: Connection) -> None:
        self.set(self._store._ref("connections", connection.address), to_doc(connection))

    def get_brand(self, brand_id: str) -> Brand | None:
        return self.read_record(Brand, self._store._ref("brands", brand_id))

    def put_brand(self, brand: Brand) -> None:
        self.set(self._store._ref("brands", brand.id), to_doc(brand))


class ConnectionsRepo(FirestoreBase):
    def get_connection(self, address: str) -> Connection | None:
        return self._get_record(Connection, self._ref("connections", address))

    def save_connection(self, connection: Connection) -> None:
        self._set(self._ref("connections", connection.address), to_doc(connection))

    def list_connections(self) -> list[Connection]:
        return self._records(Connection, self._col("connections").order_by("address"))

    def delete_connection(self, address: str) -> None:
        self._delete(self._ref("connections", address))

    def save_support_address(self, address: SupportAddress) -> None:
        self._set(self._ref("support_addresses", address.address), to_doc(address))

    def list_support_addresses(self) -> list[SupportAddress]:
        return self._records(SupportAddress, self._col("support_addresses").order_by("address"))

    def get_support_addresses(self, addresses: Sequence[str]) -> list[SupportAddress]:
        """Point reads by document id (one batched get): the cost is the addresses asked, never all of them."""
        refs = [self._ref("support_addresses", a) for a in dict.fromkeys(addresses)]
        if not refs:
            return []
        with translated():
            snaps = list(self._client.get_all(refs))
        return [records.from_doc(SupportAddress, s.to_dict() or {}) for s in snaps if s.exists]

    def any_support_address(self) -> bool:
        return bool(self._stream(self._col("support_addresses").limit(1)))

    def delete_support_address(self, address: str) -> None:
        self._delete(self._ref("support_addresses", address))

    def save_brand(self, brand: Brand) -> None:
        self._set(self._ref("brands", brand.id), to_doc(brand))

    def list_brands(self) -> list[Brand]:
        return self._records(Brand, self._col("brands").order_by("id"))
