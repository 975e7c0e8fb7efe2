"""ConnectionRepo on SQLite: connections, support addresses and brands, each a doc keyed by its identity."""

from __future__ import annotations

from collections.abc import Sequence

from gmail_tickets.adapters.sqlite_store.tx import SqliteRepo, SqliteTx, doc_text, record_of
from gmail_tickets.domain.mailbox_check import MailboxCursor
from gmail_tickets.domain.model import Brand, Connection, SupportAddress


class ConnectionsTx(SqliteTx):
    def get_connection(self, address: str) -> Connection | None:
        return self._get(Connection, "connections", "address", address)

    def put_connection(self, connection: Connection) -> None:
        self._upsert("connections", {"address": connection.address}, doc_text(connection))

    def delete_connection(self, address: str) -> None:
        self._delete("connections", "address", address)

    def put_sweep_position(self, after: str | None) -> None:
        self._write("INSERT INTO sweep_state (name, value) VALUES ('position', ?) "
                    "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (after,))

    def put_support_address(self, address: SupportAddress) -> None:
        self._upsert("support_addresses", {"address": address.address}, doc_text(address))

    def delete_support_address(self, address: str) -> None:
        self._delete("support_addresses", "address", address)

    def get_brand(self, brand_id: str) -> Brand | None:
        return self._get(Brand, "brands", "id", brand_id)

    def put_brand(self, brand: Brand) -> None:
        self._upsert("brands", {"id": brand.id}, doc_text(brand))


class ConnectionsRepo(SqliteRepo):
    def get_connection(self, address: str) -> Connection | None:
        found = self._records(Connection, "SELECT doc FROM connections WHERE address = ?", (address,))
        return found[0] if found else None

    def save_connection(self, connection: Connection) -> None:
        self._transaction(lambda tx: tx.put_connection(connection))

    def list_connections(self) -> list[Connection]:
        return self._records(Connection, "SELECT doc FROM connections ORDER BY address")

    def connection_cursors(self, *, after: str | None, limit: int) -> list[MailboxCursor]:
        """Only the sweep's fields, out of each doc; the primary key walks to `after`."""
        fields = ", ".join(f"'{f}', json_extract(doc, '$.{f}')" for f in MailboxCursor.FIELDS)
        rows = self._read(f"SELECT json_object({fields}) AS doc FROM connections WHERE address > ? "
                          "ORDER BY address LIMIT ?", (after or "", limit))
        return [record_of(MailboxCursor, row) for row in rows]  # only the projected fields decoded

    def sweep_position(self) -> str | None:
        rows = self._read("SELECT value FROM sweep_state WHERE name = 'position'", ())
        return rows[0]["value"] if rows else None

    def save_sweep_position(self, after: str | None) -> None:
        self._transaction(lambda tx: tx.put_sweep_position(after))

    def delete_connection(self, address: str) -> None:
        self._transaction(lambda tx: tx.delete_connection(address))

    def save_support_address(self, address: SupportAddress) -> None:
        self._transaction(lambda tx: tx.put_support_address(address))

    def list_support_addresses(self) -> list[SupportAddress]:
        return self._records(SupportAddress, "SELECT doc FROM support_addresses ORDER BY address")

    def get_support_addresses(self, addresses: Sequence[str]) -> list[SupportAddress]:
        wanted = list(dict.fromkeys(addresses))
        found: list[SupportAddress] = []
        for start in range(0, len(wanted), 500):  # well under SQLite's bound-parameter limit
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            found += self._records(SupportAddress, f"SELECT doc FROM support_addresses WHERE address IN ({marks})",
                                   chunk)
        return found

    def any_support_address(self) -> bool:
        return bool(self._read("SELECT 1 FROM support_addresses LIMIT 1", ()))

    def delete_support_address(self, address: str) -> None:
        self._transaction(lambda tx: tx.delete_support_address(address))

    def save_brand(self, brand: Brand) -> None:
        self._transaction(lambda tx: tx.put_brand(brand))

    def list_brands(self) -> list[Brand]:
        return self._records(Brand, "SELECT doc FROM brands ORDER BY id")
