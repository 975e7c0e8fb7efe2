"""The cloud Store: Firestore (native mode), passing the same contract suite as the SQLite store.

Layout (collection names get an optional prefix, so several stores can share one database):
  connections/{address}  support_addresses/{address}  brands/{id}          connections.py
  ledger/{connection}:{gmail id}   also the thread index and the per-sender counter    ledger.py
  tickets/{id}/comments/{comment id}   counters/tickets                              tickets.py
  counters/views_upgrade   the background upgrade of tickets written by older releases   upgrade.py
  search_terms on tickets and comments: full-text search; counters/search_upgrade   search.py, search_upgrade.py
  quarantine/{id}  suspended/{id}  recovered_mail/{id}   raw bytes beyond 900 KB in .../chunks  set_aside.py, spill.py
  outbox/{notification id}  send_windows/{address}                                   outbox.py
  leases/{key}  oauth_flows/{nonce}   rules in adapters/store_common.py; leases by precondition  leases.py
  agents/{email}  invites/{token hash}  audit/{id}                                   people.py
  webhook_endpoints/{id}  webhook_deliveries/{id}                                   webhooks.py
  changes/{all | ticket-<id>}   change marks the console polls, bumped after commits (not for new tickets) changes.py
Every document is records.py's dict of its record, plus the sort keys this store adds (keys.py). Each role
module holds its side of the one transaction object (`*Tx`, see transaction.py) and its side of the store.

Every query is served by Firestore's automatic single-field indexes (equality filters, or a range and an order
on the same field), so production needs no composite index declared (REQUIRED_INDEXES is empty). Where a query
would want one (a sender's mail since a moment), the document carries one composite-key field to range over
instead (`sender_pos`, like `thread_pos`). Nothing here logs mail content or secrets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from google.cloud.firestore_v1.transaction import Transaction

from gmail_tickets.adapters.firestore_store import transaction
from gmail_tickets.adapters.firestore_store.api_access import ApiAccessRepo
from gmail_tickets.adapters.firestore_store.changes import ChangesRepo
from gmail_tickets.adapters.firestore_store.connections import ConnectionsRepo, ConnectionsTx
from gmail_tickets.adapters.firestore_store.leases import LeasesRepo, OAuthFlowsTx
from gmail_tickets.adapters.firestore_store.ledger import LedgerRepo, LedgerTx
from gmail_tickets.adapters.firestore_store.outbox import OutboxRepo, OutboxTx
from gmail_tickets.adapters.firestore_store.people import PeopleRepo, PeopleTx
from gmail_tickets.adapters.firestore_store.search import SearchRepo
from gmail_tickets.adapters.firestore_store.search_upgrade import SearchUpgrade
from gmail_tickets.adapters.firestore_store.set_aside import SetAsideRepo, SetAsideTx
from gmail_tickets.adapters.firestore_store.ticket_list import VIEW_INDEXES, TicketListRepo
from gmail_tickets.adapters.firestore_store.tickets import TicketsTx
from gmail_tickets.adapters.firestore_store.upgrade import LifecycleUpgrade
from gmail_tickets.adapters.firestore_store.webhooks import WebhooksRepo, WebhooksTx
from gmail_tickets.adapters.store_common import OAuthFlowRepoRules
from gmail_tickets.ports import UnitOfWork

T = TypeVar("T")

REQUIRED_INDEXES: list[tuple[str, list[tuple[str, str]]]] = VIEW_INDEXES
"""Composite indexes production must declare, as (collection, [(field, "ASC"|"DESC"|"CONTAINS"), ...]): only the
ticket views' (a filter field with a sort field, ticket_list.py). Every other query ranges over one field, which
Firestore's automatic single-field indexes serve; keep it that way, or list the index here so Terraform declares
it (the emulator never asks for indexes, so tests would not notice: tests/infra compares the two)."""

REQUIRED_FIELD_INDEXES: list[tuple[str, str, str, str]] = [("comments", "search_terms", "CONTAINS", "COLLECTION_GROUP")]
"""Single-field indexes Firestore does not keep by default, as (collection group, field, kind, scope): search's
lookup of comments by term across tickets (search.py). Declared in infra/terraform/firestore.tf."""

UNINDEXED_FIELDS: list[tuple[str, str]] = [
    ("connections", "last_sync_at"),
    ("connections", "labels_owed"),  # Gmail ids: an index entry each, on every cursor write, for nothing
    ("connections", "labels_owed_since"),
    ("leases", "expires_at"),
    ("leases", "watched_until"),
    ("ledger", "seq"),
    ("ledger", "created_at"),
    ("tickets", "created_at"),
    ("comments", "seq"),
    ("comments", "created_at"),
]
"""Fields no query reads whose values only grow and are written in bursts: Firestore's automatic single-field
index on them would be a write hot spot (an index's sequential entries land on one tablet) for nothing, so
Terraform exempts them (google_firestore_field.unindexed; tests/infra holds the two equal, and
tests/unit/test_firestore_unindexed.py that no query of this package names one)."""


class FirestoreUnitOfWork(ConnectionsTx, LedgerTx, TicketsTx, SetAsideTx, OutboxTx, OAuthFlowsTx, PeopleTx,
                          WebhooksTx):
    """The UnitOfWork port (and the records the store's own transactions need) on one transaction attempt."""


class FirestoreStore(
    ConnectionsRepo, LedgerRepo, SearchRepo, TicketListRepo, SetAsideRepo, OutboxRepo, LeasesRepo,
    OAuthFlowRepoRules, LifecycleUpgrade, SearchUpgrade, PeopleRepo, ChangesRepo, ApiAccessRepo, WebhooksRepo,
):
    """The Store port on Firestore. Thread-safe: share one per process.

    `client` is a `firestore.Client`, or a project id (also accepted as `project=`) to build one from the
    environment (FIRESTORE_EMULATOR_HOST is honoured). `prefix` goes before every top-level collection name.
    """

    def _transaction(self, fn: Callable[[Any], T]) -> T:
        """Run `fn` in a Firestore transaction, retried on contention; count its writes once committed."""
        result, committed = transaction.run(self, _unit_of_work, fn, self._max_attempts)
        self._count(committed.writes)
        self._bump_marks(committed.touched_tickets, committed.created_tickets)
        return result

    def atomically(self, fn: Callable[[UnitOfWork], T]) -> T:
        """Run `fn` in one Firestore transaction; it may run again on contention. AlreadyRecorded propagates."""
        return self._transaction(fn)

    def upgrade_in_place(self, *, batch: int = 200) -> int:
        """The lifecycle's upgrade (upgrade.py) first; once it is done, search terms for older records
        (search_upgrade.py). 0 once both are done."""
        return LifecycleUpgrade.upgrade_in_place(self, batch=batch) or self.upgrade_search_terms(batch=batch)


def _unit_of_work(store: FirestoreStore, tx: Transaction) -> FirestoreUnitOfWork:
    return FirestoreUnitOfWork(store, tx)
