"""The embedded Store on one SQLite file (see store.py for how it is composed)."""

from gmail_tickets.adapters.sqlite_store.ledger import RECENT_MAIL_COUNT_SQL
from gmail_tickets.adapters.sqlite_store.store import SqliteStore, SqliteUnitOfWork

__all__ = ["RECENT_MAIL_COUNT_SQL", "SqliteStore", "SqliteUnitOfWork"]
