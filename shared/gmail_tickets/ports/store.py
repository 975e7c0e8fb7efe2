"""Where state lives: the Store (SQLite embedded, Firestore in the cloud) and its unit of work.

Both are unions of role ports, one per kind of record, so a service can name the one role it needs:

  role (Store side)   unit-of-work side      records
  ConnectionRepo      ConnectionUnit         connections, support addresses, brands
  LedgerRepo          LedgerUnit             the exactly-once ledger (also the thread index), burst counts
  TicketRepo          TicketUnit             tickets and their comments
  SetAsideRepo        SetAsideUnit           mail set aside: quarantined, suspended (ports/set_aside.py)
  OutboxRepo          OutboxUnit             notifications we owe, and each account's Gmail send window
  LeaseRepo           -                      leases (one sync per mailbox at a time)
  OAuthFlowRepo       -                      OAuth connect flows (taken once)
  ChangeRepo          -                      change marks the console polls (domain/change_marks.py); bumped
                                             by the store itself when a unit writes tickets, comments, notifications
  PeopleRepo          PeopleUnit             agents, invitations, the audit log (ports/people.py)
  TicketSearchRepo    -                      full-text search over tickets (ports/search.py)
  WebhookRepo         WebhookUnit            webhook endpoints and the deliveries owed (ports/webhooks.py)

`Store` adds `atomically` (one transaction over a `UnitOfWork`) and `write_count`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from gmail_tickets.domain.lease import LeaseTake
from gmail_tickets.domain.mailbox_check import MailboxCursor
from gmail_tickets.domain.model import (
    Brand,
    Comment,
    Connection,
    LedgerEntry,
    OAuthFlow,
    Outcome,
    SupportAddress,
    Ticket,
)
from gmail_tickets.domain.outbox import Notification, NotificationState, SendWindow
from gmail_tickets.domain.paging import Page, PageRequest
from gmail_tickets.domain.ticket_query import TicketFilter, TicketSort
from gmail_tickets.ports.api_access import ApiAccessRepo
from gmail_tickets.ports.people import PeopleRepo, PeopleUnit
from gmail_tickets.ports.search import TicketSearchRepo
from gmail_tickets.ports.set_aside import SetAsideRepo, SetAsideUnit
from gmail_tickets.ports.webhooks import WebhookRepo, WebhookUnit

T = TypeVar("T")

# --------------------------------------------------------------------------- inside one transaction


class ConnectionUnit(Protocol):
    def get_connection(self, address: str) -> Connection | None: ...

    def put_connection(self, connection: Connection) -> None: ...

    def get_brand(self, brand_id: str) -> Brand | None: ...

    def put_brand(self, brand: Brand) -> None:
        """Insert or replace by id (read it in the same unit first to change one field of it)."""


class LedgerUnit(Protocol):
    def get_ledger(self, connection: str, gmail_message_id: str) -> LedgerEntry | None: ...

    def ticket_for_thread(self, connection: str, thread_id: str) -> int | None:
        """The ticket a Gmail thread of this mailbox already belongs to."""

    def ticket_for_message_ids(self, message_ids: Sequence[str]) -> int | None:
        """The ticket of the first of these RFC Message-IDs (without angle brackets) that we stored."""

    def recorded_with_message_id(self, message_id: str) -> list[LedgerEntry]:
        """Every entry (oldest first, any connection) of mail with this RFC Message-ID that went to a ticket:
        what tells the same mail through another inbox from a different mail reusing the Message-ID."""

    def add_ledger(self, entry: LedgerEntry, *, thread_id: str | None = None) -> None:
        """Create-if-absent: raises AlreadyRecorded (here or at commit) when the entry exists. `thread_id`
        and `entry.rfc_message_id` feed the thread index for ticket_for_thread / ticket_for_message_ids."""

    def replace_ledger(self, entry: LedgerEntry, *, thread_id: str | None = None) -> None:
        """Rewrite an entry read in this unit (a recovered suspended mail's: its new outcome, ticket and comment),
        indexed as if just added: the latest entry of its thread."""


class TicketUnit(Protocol):
    def get_ticket(self, ticket_id: int) -> Ticket | None: ...

    def add_ticket(self, ticket: Ticket, description: Comment | None = None) -> int:
        """Store a new ticket, assign and return its id (also set on `ticket.id`). `description`: its first
        comment, stored with it (its `ticket_id` and `id` are set): Firestore keeps it inside the ticket's own
        document, so a new ticket is one write, not two; `comments` returns it first like any other."""

    def put_ticket(self, ticket: Ticket) -> None:
        """Replace an existing ticket, whole, by `ticket.id`: for updates (followers, status), never to create.
        Read it in the same unit of work first, so a concurrent update makes this one retry instead of being
        overwritten. Raises KeyError for a ticket that does not exist (Firestore can tell only when this unit
        read it as missing) and ValueError for one without an id."""

    def add_comment(self, comment: Comment) -> str:
        """Store a comment, assign and return its id (also set on `comment.id`)."""


class OutboxUnit(Protocol):
    """The outbox (see domain/outbox.py)."""

    def get_notification(self, notification_id: str) -> Notification | None: ...

    def put_notification(self, notification: Notification) -> None:
        """Insert or replace by id."""

    def automatic_mail_count(self, *, since: datetime, recipient: str | None = None,
                             account: str | None = None) -> int:
        """Automatic mail meant to be sent (`Notification.counted_recipient` set) created at or after `since`, to
        `recipient` (case-insensitive) or from the support `account`: an index-served count, read in this
        transaction (before its writes), so two instances cannot both take the last slot."""

    def get_send_window(self, address: str) -> SendWindow:
        """The account's Gmail sends in the rolling 24 h; an empty window when it never sent."""

    def put_send_window(self, window: SendWindow) -> None: ...


class UnitOfWork(ConnectionUnit, LedgerUnit, TicketUnit, SetAsideUnit, OutboxUnit, PeopleUnit, WebhookUnit, Protocol):
    """One transaction. Read first, then write (Firestore's rule). The function given to `Store.atomically`
    may run more than once when transactions contend, so it must do nothing but read and write through here."""


# --------------------------------------------------------------------------- the store's roles


class ConnectionRepo(Protocol):
    """Connected Gmail accounts, the support addresses mail is sent from, and brands."""

    def get_connection(self, address: str) -> Connection | None: ...
    def save_connection(self, connection: Connection) -> None: ...
    def list_connections(self) -> list[Connection]: ...

    def connection_cursors(self, *, after: str | None, limit: int) -> list[MailboxCursor]:
        """Up to `limit` connections (any status) in the store's key order, after the one of address `after`:
        only the fields the sweep needs (a projection), one keyset page served by the key, so a page costs its
        rows whatever came before."""

    def sweep_position(self) -> str | None:
        """The address an unfinished sweep stopped after (None: the next sweep starts from the first)."""

    def save_sweep_position(self, after: str | None) -> None: ...
    def delete_connection(self, address: str) -> None: ...
    def save_support_address(self, address: SupportAddress) -> None: ...
    def list_support_addresses(self) -> list[SupportAddress]: ...
    def get_support_addresses(self, addresses: Sequence[str]) -> list[SupportAddress]:
        """Those of `addresses` (exact, as stored: lower-cased) that are support addresses, read by key."""
        ...

    def any_support_address(self) -> bool:
        """Whether there is at least one support address (one row read at most)."""
        ...

    def delete_support_address(self, address: str) -> None: ...
    def save_brand(self, brand: Brand) -> None: ...
    def list_brands(self) -> list[Brand]: ...


class LedgerRepo(Protocol):
    """The record of every inbox mail handled (written only inside units of work, read here)."""

    def ledger_contains(self, connection: str, gmail_message_ids: Sequence[str]) -> set[str]:
        """Which of these ids the ledger holds already (a cheap pre-filter before fetching mail)."""

    def ledger_counts(self, connection: str | None = None) -> dict[Outcome, int]: ...

    def recent_mail_count(self, sender: str, since: datetime) -> int:
        """Ledger entries of mail from `sender` (any connection, any outcome) created at or after `since`:
        what burst detection counts."""

    def recent_domain_mail_count(self, domain: str, since: datetime) -> int:
        """Ledger entries of mail from any sender of `domain`'s organizational domain created at or after
        `since`: what burst detection counts for rotating senders of one domain."""


class TicketRepo(Protocol):
    def get_ticket(self, ticket_id: int) -> Ticket | None: ...

    def list_tickets(self, *, limit: int = 50, connection: str | None = None) -> list[Ticket]:
        """Newest first."""

    def comments(self, ticket_id: int) -> list[Comment]:
        """Oldest first."""

    def ticket_page(self, query: TicketFilter, sort: TicketSort, page: PageRequest) -> Page[Ticket]:
        """The tickets `query` matches, by `sort` (largest key first: ticket_query.sort_key), one keyset page
        past `page.after`; served by indexes, so a later page costs what the first does."""

    def count_tickets(self, query: TicketFilter) -> int:
        """How many tickets `query` matches: an index-served count (Firestore: an aggregation), no reads of
        the tickets themselves."""

    def tickets_mentioning(self, ticket_id: int, *, limit: int = 20) -> list[int]:
        """Ids of tickets that answer this one but whose senders were not on it (`Ticket.mentions`), oldest
        first; an index serves it, so a ticket page costs one query, not a scan."""

    def solved_before(self, before: datetime, *, limit: int) -> list[Ticket]:
        """Solved tickets whose `solved_at` is at or before `before`, the longest solved first, at most `limit`;
        served by an index on `solved_at` (set only while solved), so the cost grows with the solved tickets due,
        not with all tickets."""


class OutboxRepo(Protocol):
    def get_notification(self, notification_id: str) -> Notification | None: ...

    def list_notifications(
        self, *, states: Sequence[NotificationState] = (), ticket_id: int | None = None, limit: int = 100,
        oldest_first: bool = False,
    ) -> list[Notification]:
        """Newest first (by created_at, then id; records without a time last), or oldest first; only those in
        `states` (any state when empty) and of `ticket_id`."""

    def notification_page(self, states: Sequence[NotificationState], page: PageRequest) -> Page[Notification]:
        """Those in `states` (any when empty), newest first by created_at then id, one keyset page."""

    def count_notifications(self, states: Sequence[NotificationState]) -> int: ...

    def due_notifications(self, now: datetime, *, limit: int) -> list[Notification]:
        """Retrying records whose `next_attempt_at` is at or before `now`, the longest due first, at most `limit`;
        served by an index, so the cost grows with the due records, not with all of them."""

    def get_send_window(self, address: str) -> SendWindow: ...

    def list_send_windows(self) -> list[SendWindow]:
        """Every account's window (one per connection, so few): the console's banner reads them in one query."""

    def record_gmail_sends(self, address: str, at: datetime, recipients: int) -> None:
        """Add `recipients` to the account's bucket for the hour of `at`, atomically and without contending with
        other senders of the account (the window is one hot document per account)."""


class LeaseRepo(Protocol):
    """One sync per mailbox at a time, short and renewed (rules: domain/lease.py)."""

    def try_lease(self, key: str, holder: str, now: datetime, ttl_seconds: float) -> bool:
        """Take the lease if free, expired or already ours. If someone else holds it, leave a 'look again'
        mark for them and return False."""

    def take_lease(self, key: str, holder: str, now: datetime, ttl_seconds: float,
                   watcher: str | None = None) -> LeaseTake:
        """`try_lease`, also saying when a caller that found the lease busy, and now watches it, comes back.
        `watcher`: the caller's id across its retries (domain/lease.py), if it has one."""

    def renew_lease(self, key: str, holder: str, now: datetime, ttl_seconds: float) -> bool:
        """Extend the lease while it is still this holder's; False (and nothing written) once it is not."""

    def release_lease(self, key: str, holder: str) -> bool:
        """If a 'look again' mark was left: clear it, keep the lease and return True (sync once more).
        Otherwise free the lease and return False. Atomic, so no mark is lost between check and release."""

    def lease_held(self, key: str, now: datetime) -> bool:
        """Whether someone holds the lease now (it exists and has not expired). A read: nothing is written."""


class OAuthFlowRepo(Protocol):
    """OAuth connect flows: single-use."""

    def save_oauth_flow(self, flow: OAuthFlow) -> None: ...

    def take_oauth_flow(self, nonce: str, now: datetime) -> OAuthFlow | None:
        """Atomically read and delete the flow: the first caller gets it, any later one None. None too when it
        has expired (an expired flow is deleted all the same)."""


class ChangeRepo(Protocol):
    """Marks of what changed. Every committed unit of work that wrote a ticket, comment or notification bumps
    `change_marks.ALL` and each touched ticket's `ticket_key` once (SQLite: inside the transaction; Firestore:
    just after the commit, outside it, so no ingest transaction contends on one hot document)."""

    def change_marks(self, keys: Sequence[str]) -> dict[str, int]:
        """The current value of each mark (0 for one never bumped): one row / document read per key."""


class Store(
    ConnectionRepo, LedgerRepo, TicketRepo, SetAsideRepo, OutboxRepo, LeaseRepo, OAuthFlowRepo, PeopleRepo,
    ChangeRepo, TicketSearchRepo, ApiAccessRepo, WebhookRepo, Protocol,
):
    """Every role, plus transactions. SQLite embedded, Firestore in the cloud."""

    write_count: int  # documents/rows written since start: the bench reports writes per ticket

    def atomically(self, fn: Callable[[UnitOfWork], T]) -> T:
        """Run `fn` in one transaction and commit; retried on contention; AlreadyRecorded propagates."""

    def upgrade_in_place(self, *, batch: int = 200) -> int:
        """Bring up to `batch` records written by an older release up to date (the sweep calls it every run);
        return how many were looked at, 0 once there is nothing left. SQLite does it all when a file is opened
        (its migrations); Firestore, which has none, a batch at a time from a cursor."""
