"""The embedded Store: one SQLite file, for running the whole product on one machine.

Composed of one module per role (connections, ledger, tickets, set_aside, outbox, leases, people), each with its side
of the one transaction object (`*Tx`) and its side of the store (`*Repo`); database.py holds the pool and the
BEGIN IMMEDIATE transactions, schema.py the migrations. Nothing here logs mail content or secrets.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from gmail_tickets.adapters.records import utc
from gmail_tickets.adapters.sqlite_store.api_access import ApiAccessRepo
from gmail_tickets.adapters.sqlite_store.changes import ChangesRepo, ChangesTx
from gmail_tickets.adapters.sqlite_store.connections import ConnectionsRepo, ConnectionsTx
from gmail_tickets.adapters.sqlite_store.database import SqliteDatabase
from gmail_tickets.adapters.sqlite_store.leases import LeasesTx
from gmail_tickets.adapters.sqlite_store.ledger import LedgerRepo, LedgerTx
from gmail_tickets.adapters.sqlite_store.outbox import OutboxRepo, OutboxTx
from gmail_tickets.adapters.sqlite_store.people import PeopleRepo, PeopleTx
from gmail_tickets.adapters.sqlite_store.search import SearchRepo
from gmail_tickets.adapters.sqlite_store.set_aside import SetAsideRepo, SetAsideTx
from gmail_tickets.adapters.sqlite_store.ticket_list import TicketListRepo
from gmail_tickets.adapters.sqlite_store.tickets import TicketsRepo, TicketsTx
from gmail_tickets.adapters.sqlite_store.webhooks import WebhooksRepo, WebhooksTx
from gmail_tickets.adapters.store_common import LeaseRepoRules, OAuthFlowRepoRules
from gmail_tickets.domain.lease import Lease
from gmail_tickets.ports import UnitOfWork

T = TypeVar("T")


class SqliteUnitOfWork(ConnectionsTx, LedgerTx, TicketsTx, SetAsideTx, OutboxTx, LeasesTx, PeopleTx, ChangesTx,
                       WebhooksTx):
    """The UnitOfWork port (and the records the store's own transactions need) in one BEGIN IMMEDIATE
    transaction."""


class SqliteStore(
    ConnectionsRepo, LedgerRepo, TicketsRepo, TicketListRepo, SetAsideRepo, OutboxRepo, LeaseRepoRules,
    OAuthFlowRepoRules, PeopleRepo, ChangesRepo, SearchRepo, ApiAccessRepo, WebhooksRepo,
):
    """The Store port on one SQLite file. Thread-safe; several processes may share the file.

    `path` may be ":memory:" for throwaway stores in tests: then there is one connection, used by one thread
    at a time, and nothing outlives `close()`.
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_seconds: float = 30.0) -> None:
        self._db = SqliteDatabase(path, busy_timeout_seconds=busy_timeout_seconds)
        self.path = self._db.path

    @property
    def write_count(self) -> int:
        """Rows written since start: the bench reports writes per ticket."""
        return self._db.write_count

    def close(self) -> None:
        """Close pooled connections; connections in use close when given back."""
        self._db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _transaction(self, fn: Callable[[Any], T]) -> T:
        return self._db.transaction(SqliteUnitOfWork, fn)

    def lease_held(self, key: str, now: datetime) -> bool:
        """A plain read, without the write lock the rules' transaction would take."""
        found = self._records(Lease, "SELECT doc FROM leases WHERE key = ?", (key,))
        return bool(found) and not found[0].expired(utc(now) or now)

    def atomically(self, fn: Callable[[UnitOfWork], T]) -> T:
        """Run `fn` in one write transaction (runs exactly once: SQLite serialises writers up front)."""
        return self._transaction(fn)

    def upgrade_in_place(self, *, batch: int = 200) -> int:
        """Nothing to do in the background: SQLite's migrations upgrade every row when the file is opened."""
        return 0
