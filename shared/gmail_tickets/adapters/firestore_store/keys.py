"""Document ids and the sort keys the Firestore store adds to documents, so every query ranges over one field
(served by Firestore's automatic single-field indexes: no composite index to declare)."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime
from urllib.parse import quote

from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.query import Query

from gmail_tickets.adapters.records import ts


def doc_id(*parts: str) -> str:
    """A valid Firestore document id for `parts` joined by ':'.

    Ids may not contain '/', be '.' or '..', or look like '__x__'; percent-encoding every character but a safe
    readable set makes the mapping injective (':' inside a part is encoded, so the join is unambiguous).
    """
    encoded = ":".join(quote(part, safe="@.-_+=~") for part in parts)
    if encoded in ("", ".", "..") or encoded.startswith("__"):
        encoded = "%" + encoded.encode().hex()  # '%' never appears unencoded above, so no collision
    return encoded


def document_id(text: object) -> bool:
    """Whether `text` can name a document (a cursor's key read back): ids the store makes always can, an edited
    cursor's may not, and asking for one would be an error rather than a missing document."""
    return (isinstance(text, str) and 0 < len(text.encode()) <= 1500 and "/" not in text
            and text not in (".", "..") and not (text.startswith("__") and text.endswith("__")))


def ledger_id(connection: str, gmail_message_id: str) -> str:
    return doc_id(connection, gmail_message_id)


def ticket_doc_id(ticket_id: int) -> str:
    """A ticket's document id: a hash of its number before the number ("3f2a9c1e-1234"), so tickets made one
    after another land far apart in the key space (sequential ids put every new ticket on one tablet)."""
    return f"{hashlib.sha256(str(int(ticket_id)).encode()).hexdigest()[:8]}-{int(ticket_id)}"


def legacy_ticket_doc_id(ticket_id: int) -> str:
    """The number alone: how tickets were stored before their ids were scattered (still read)."""
    return str(int(ticket_id))


def ticket_number(document_id: str) -> int:
    """The ticket number a ticket document's id carries, either form."""
    return int(document_id.rsplit("-", 1)[-1])


_seq_lock = threading.Lock()
_last_seq = 0


def next_seq() -> int:
    """A process-wide strictly increasing number close to the wall clock in nanoseconds.

    It orders what one process wrote (comments of a ticket, ledger entries of a thread) without a shared
    counter; across processes it follows the clock, which is all "latest" needs there.
    """
    global _last_seq
    with _seq_lock:
        _last_seq = max(time.time_ns(), _last_seq + 1)
        return _last_seq


def seq_text(seq: int) -> str:
    """Fixed width, so text order is number order (used inside composite sort keys)."""
    return f"{seq:020d}"


def time_key(value: datetime | str | None) -> str:
    """Fixed-width UTC text; "" for None so missing times sort before every real one."""
    return ts(value) or ""


def newest_first_key(created_at: datetime | None, seq: int) -> str:
    """`sort_key`: newest first by created_at (missing ones last), ties in storing order, from one field."""
    return f"{time_key(created_at)}\n{seq_text(seq)}"


def thread_prefix(connection: str, thread_id: str) -> str:
    """Start of the `thread_pos` values of one mailbox thread (see ledger.ledger_doc)."""
    return f"{doc_id(connection, thread_id)}\n"


def sender_key(sender: str | None) -> str | None:
    """Senders are kept lower-cased, so "the same sender" is an exact match whatever case a mail used."""
    return None if sender is None else sender.lower()


def sender_prefix(sender: str) -> str:
    """Start of the `sender_pos` values of one sender (see ledger.ledger_doc)."""
    return f"{doc_id(sender.lower())}\n"


def connection_prefix(connection: str) -> str:
    """Start of the `connection_pos` values of one mailbox's tickets (see tickets.ticket_doc)."""
    return f"{doc_id(connection)}\n"


def range_since(query: Query, field: str, prefix: str, since: datetime) -> Query:
    """Documents whose `field` is `prefix` followed by a time at or after `since` ("<key>\\n<time>" fields)."""
    return (query.where(filter=FieldFilter(field, ">=", prefix + time_key(since)))
            .where(filter=FieldFilter(field, "<", prefix + "~")))  # '~' sorts after every time character


def automatic_mail_fields(counted_recipient: str | None, account: str, created_at: datetime | None) -> dict[str, str]:
    """`auto_to_pos` / `auto_account_pos` on automatic mail meant to be sent: what the acknowledgement limits
    count, each one range on one field (no composite index)."""
    if counted_recipient is None:
        return {}
    at = time_key(created_at)
    return {"auto_to_pos": sender_prefix(counted_recipient) + at, "auto_account_pos": sender_prefix(account) + at}
