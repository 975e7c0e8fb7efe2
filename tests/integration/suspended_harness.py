"""A connected mailbox, and mail recorded in it the way ingest records it (record_mail on raw bytes, real
blobs): suspended mail for the recovery tests of the service and the API; a connection for the API's sends."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from gmail_tickets.domain.model import Brand, Connection, LedgerEntry, SupportAddress
from gmail_tickets.ports import RawMessage
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.ingest_values import Recorded
from gmail_tickets.services.record_mail import record_mail
from gmail_tickets.services.sync_mailbox import ingest_context

_ids = itertools.count(1)


def mail(sender: str, subject: str, body: str, *, message_id: str, auto: bool = False, in_reply_to: str = "",
         to: str = "help@acme.test") -> bytes:
    """A plain mail; `auto`: an auto-reply (Auto-Submitted), which ingest suspends."""
    headers = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", "Date: Tue, 01 Dec 2026 10:00:00 +0000",
               f"Message-ID: <{message_id}>", "Content-Type: text/plain; charset=utf-8"]
    if auto:
        headers.append("Auto-Submitted: auto-replied")
    if in_reply_to:
        headers += [f"In-Reply-To: <{in_reply_to}>", f"References: <{in_reply_to}>"]
    return ("\r\n".join(headers) + f"\r\n\r\n{body}\r\n").encode()


def connect(deps: Deps, address: str) -> None:
    """`address` connected (and made a support address, the default when it is the first)."""
    if not deps.store.list_brands():
        deps.store.save_brand(Brand("default", "Acme Support"))
    if not deps.store.get_support_addresses([address]):
        first = not deps.store.any_support_address()
        deps.store.save_support_address(SupportAddress(address, "default", is_default=first))
    deps.store.save_connection(Connection(address, created_at=datetime(2026, 1, 1, tzinfo=UTC)))


def arrive(deps: Deps, address: str, raw: bytes, thread: str | None = None) -> tuple[Recorded, LedgerEntry]:
    """Record `raw` as if it arrived in `address` now; the result and its ledger entry."""
    n = next(_ids)
    connection = deps.store.get_connection(address)
    assert connection is not None
    message = RawMessage(f"g{n}", thread or f"th{n}", ("INBOX", "UNREAD"), len(raw), n, deps.clock.now(), raw)
    recorded = record_mail(deps, ingest_context(deps, connection), message)
    entry = deps.store.atomically(lambda uow: uow.get_ledger(address, message.id))
    assert entry is not None
    return recorded, entry
