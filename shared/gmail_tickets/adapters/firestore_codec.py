"""Domain dataclasses <-> Firestore documents, and the document ids the Firestore store uses.

Kept apart from the store so the mapping is plain functions over dicts: datetimes become Firestore timestamps
(and come back as aware UTC datetimes), enums become their string values, lists become arrays, raw mail bytes a
bytes field. Field names in documents equal the dataclass field names, so the Firestore console reads like code.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from gmail_tickets.domain.model import (
    AccountKind,
    AddressKind,
    Attachment,
    Brand,
    Comment,
    Connection,
    ConnectionStatus,
    LedgerEntry,
    OAuthFlow,
    Outcome,
    SupportAddress,
    SuspendedMail,
    Ticket,
)

Doc = dict[str, Any]

# --------------------------------------------------------------------------- ids


def doc_id(*parts: str) -> str:
    """A valid Firestore document id for `parts` joined by ':'.

    Ids may not contain '/', be '.' or '..', or look like '__x__'; percent-encoding every character but a safe
    readable set makes the mapping injective (':' inside a part is encoded, so the join is unambiguous).
    """
    encoded = ":".join(quote(part, safe="@.-_+=~") for part in parts)
    if encoded in ("", ".", "..") or encoded.startswith("__"):
        encoded = "%" + encoded.encode().hex()  # '%' never appears unencoded above, so no collision
    return encoded


def ledger_id(connection: str, gmail_message_id: str) -> str:
    return doc_id(connection, gmail_message_id)


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


# --------------------------------------------------------------------------- values


def utc(value: datetime | None) -> datetime | None:
    """A plain aware-UTC datetime (Firestore hands back a DatetimeWithNanoseconds; a naive one is taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                    value.microsecond, tzinfo=UTC)


def time_key(value: datetime | None) -> str:
    """Fixed-width UTC text; "" for None so missing times sort before every real one."""
    moment = utc(value)
    return "" if moment is None else moment.isoformat(timespec="microseconds")


# --------------------------------------------------------------------------- connections, addresses, brands


def connection_doc(c: Connection) -> Doc:
    return {
        "address": c.address,
        "brand_id": c.brand_id,
        "status": str(c.status),
        "account_kind": str(c.account_kind),
        "history_id": c.history_id,
        "watch_expiration": utc(c.watch_expiration),
        "label_id": c.label_id,
        "send_via_gmail": c.send_via_gmail,
        "last_sync_at": utc(c.last_sync_at),
        "last_error": c.last_error,
        "warnings": list(c.warnings),
        "created_at": utc(c.created_at),
        "disconnected_at": utc(c.disconnected_at),
        "import_total": c.import_total,
        "import_done": c.import_done,
    }


def connection_from(d: Mapping[str, Any]) -> Connection:
    return Connection(
        address=d["address"],
        brand_id=d.get("brand_id", "default"),
        status=ConnectionStatus(d.get("status", ConnectionStatus.CONNECTED)),
        account_kind=AccountKind(d.get("account_kind", AccountKind.GMAIL)),
        history_id=_int_or_none(d.get("history_id")),
        watch_expiration=utc(d.get("watch_expiration")),
        label_id=d.get("label_id"),
        send_via_gmail=bool(d.get("send_via_gmail", True)),
        last_sync_at=utc(d.get("last_sync_at")),
        last_error=d.get("last_error"),
        warnings=list(d.get("warnings") or []),
        created_at=utc(d.get("created_at")),
        disconnected_at=utc(d.get("disconnected_at")),
        import_total=int(d.get("import_total") or 0),  # documents written before imports were tracked: 0
        import_done=int(d.get("import_done") or 0),
    )


def support_address_doc(a: SupportAddress) -> Doc:
    return {"address": a.address, "brand_id": a.brand_id, "is_default": a.is_default, "kind": str(a.kind)}


def support_address_from(d: Mapping[str, Any]) -> SupportAddress:
    return SupportAddress(address=d["address"], brand_id=d.get("brand_id", "default"),
                          is_default=bool(d.get("is_default", False)),
                          kind=AddressKind(d.get("kind", AddressKind.GMAIL_CONNECTOR)))


def brand_doc(b: Brand) -> Doc:
    return {"id": b.id, "name": b.name, "ack_template": b.ack_template}


def brand_from(d: Mapping[str, Any]) -> Brand:
    # documents written before acknowledgements lack ack_template: the built-in text
    return Brand(id=d["id"], name=d["name"], ack_template=d.get("ack_template"))


# --------------------------------------------------------------------------- tickets and comments


def ticket_doc(t: Ticket) -> Doc:
    return {
        "id": t.id,
        "subject": t.subject,
        "requester": t.requester,
        "connection": t.connection,
        "brand_id": t.brand_id,
        "requester_name": t.requester_name,
        "followers": list(t.followers),
        "status": t.status,
        "created_at": utc(t.created_at),
        "suppress_triggers": t.suppress_triggers,
        "gmail_thread_id": t.gmail_thread_id,
    }


def ticket_from(d: Mapping[str, Any]) -> Ticket:
    return Ticket(
        id=int(d["id"]),
        subject=d["subject"],
        requester=d["requester"],
        connection=d["connection"],
        brand_id=d.get("brand_id", "default"),
        requester_name=d.get("requester_name", ""),
        followers=list(d.get("followers") or []),
        status=d.get("status", "new"),
        created_at=utc(d.get("created_at")),
        suppress_triggers=bool(d.get("suppress_triggers", False)),
        gmail_thread_id=d.get("gmail_thread_id"),  # documents written before outbound mail lack it: unknown
    )


def attachment_doc(a: Attachment) -> Doc:
    return {"filename": a.filename, "content_type": a.content_type, "size": a.size, "blob_key": a.blob_key,
            "content_id": a.content_id, "inline": a.inline}


def attachment_from(d: Mapping[str, Any]) -> Attachment:
    """Tolerates documents written before blob keys existed (filename, content type and size only)."""
    return Attachment(filename=d["filename"], content_type=d["content_type"], size=int(d["size"]),
                      blob_key=d.get("blob_key"), content_id=d.get("content_id"), inline=bool(d.get("inline", False)))


def comment_doc(c: Comment, seq: int) -> Doc:
    return {
        "id": c.id,
        "ticket_id": c.ticket_id,
        "author": c.author,
        "body_text": c.body_text,
        "created_at": utc(c.created_at),
        "connection": c.connection,
        "gmail_message_id": c.gmail_message_id,
        "message_id": c.message_id,
        "matched_by": c.matched_by,
        "attachments": [attachment_doc(a) for a in c.attachments],
        "body_html": c.body_html,
        "author_kind": c.author_kind,
        "seq": seq,  # insertion order: the tie-breaker between comments with the same created_at
    }


def comment_from(d: Mapping[str, Any]) -> Comment:
    created_at = utc(d["created_at"])
    assert created_at is not None  # always written
    return Comment(
        id=d["id"],
        ticket_id=int(d["ticket_id"]),
        author=d["author"],
        body_text=d["body_text"],
        created_at=created_at,
        connection=d["connection"],
        gmail_message_id=d.get("gmail_message_id"),
        message_id=d.get("message_id"),
        matched_by=d.get("matched_by"),
        attachments=[attachment_from(a) for a in d.get("attachments") or []],
        body_html=d.get("body_html"),
        author_kind=d.get("author_kind") or "customer",  # documents written before agent replies were all mail
    )


def comment_order(d: Mapping[str, Any]) -> tuple[str, int]:
    return time_key(d.get("created_at")), int(d.get("seq", 0))


# --------------------------------------------------------------------------- ledger


def thread_prefix(connection: str, thread_id: str) -> str:
    """Start of the `thread_pos` values of one mailbox thread (see ledger_doc)."""
    return f"{doc_id(connection, thread_id)}\n"


def sender_key(sender: str | None) -> str | None:
    """Senders are kept lower-cased, so "the same sender" is an exact match whatever case a mail used."""
    return None if sender is None else sender.lower()


def sender_prefix(sender: str) -> str:
    """Start of the `sender_pos` values of one sender (see ledger_doc)."""
    return f"{doc_id(sender.lower())}\n"


def ledger_doc(e: LedgerEntry, thread_id: str | None, seq: int) -> Doc:
    """The ledger entry, plus what makes it the thread index and the per-sender mail counter.

    `thread_pos` ("<connection:thread>\\n<seq>", only on entries that point at a ticket) lets
    ticket_for_thread find the latest such entry with one range query ordered on that same field, which the
    automatic single-field index serves: no composite index to declare, nothing to forget in production.
    `sender_pos` ("<sender>\\n<created_at>", only on entries with both) does the same for recent_mail_count:
    one sender's mail since a moment is one range on one field, instead of an equality on `sender` plus a range
    on `created_at`, which would need a composite index.
    """
    doc: Doc = {
        "connection": e.connection,
        "gmail_message_id": e.gmail_message_id,
        "outcome": str(e.outcome),
        "ticket_id": e.ticket_id,
        "comment_id": e.comment_id,
        "rfc_message_id": e.rfc_message_id,
        "created_at": utc(e.created_at),
        "sender": sender_key(e.sender),
        "raw_key": e.raw_key,
        "thread_id": thread_id,
        "seq": seq,
    }
    if thread_id is not None and e.ticket_id is not None:
        doc["thread_pos"] = thread_prefix(e.connection, thread_id) + seq_text(seq)
    if e.sender is not None and e.created_at is not None:
        doc["sender_pos"] = sender_prefix(e.sender) + time_key(e.created_at)
    return doc


def ledger_from(d: Mapping[str, Any]) -> LedgerEntry:
    return LedgerEntry(
        connection=d["connection"],
        gmail_message_id=d["gmail_message_id"],
        outcome=Outcome(d["outcome"]),
        ticket_id=_int_or_none(d.get("ticket_id")),
        comment_id=d.get("comment_id"),
        rfc_message_id=d.get("rfc_message_id"),
        created_at=utc(d.get("created_at")),
        sender=d.get("sender"),
        raw_key=d.get("raw_key"),
    )


# --------------------------------------------------------------------------- suspended mail


def suspended_doc(s: SuspendedMail, seq: int) -> Doc:
    """`sort_key` ("<created_at>\\n<seq>") gives newest first, ties in storing order, from one field."""
    return {
        "id": s.id,
        "connection": s.connection,
        "gmail_message_id": s.gmail_message_id,
        "sender": s.sender,
        "subject": s.subject,
        "reason": s.reason,
        "created_at": utc(s.created_at),
        "raw_key": s.raw_key,
        "sort_key": f"{time_key(s.created_at)}\n{seq_text(seq)}",
    }


def suspended_from(d: Mapping[str, Any]) -> SuspendedMail:
    created_at = utc(d["created_at"])
    assert created_at is not None  # always written
    return SuspendedMail(
        id=d["id"],
        connection=d["connection"],
        gmail_message_id=d["gmail_message_id"],
        sender=d["sender"],
        subject=d["subject"],
        reason=d["reason"],
        created_at=created_at,
        raw_key=d.get("raw_key"),
    )


# --------------------------------------------------------------------------- OAuth flows


def oauth_flow_doc(f: OAuthFlow) -> Doc:
    return {
        "nonce": f.nonce,
        "session_id": f.session_id,
        "address": f.address,
        "brand_id": f.brand_id,
        "import_recent": f.import_recent,
        "code_verifier": f.code_verifier,
        "redirect_uri": f.redirect_uri,
        "created_at": utc(f.created_at),
        "expires_at": utc(f.expires_at),  # a timestamp, so a Firestore TTL policy can sweep abandoned flows
        "reconnect": f.reconnect,
    }


def oauth_flow_from(d: Mapping[str, Any]) -> OAuthFlow:
    created_at, expires_at = utc(d["created_at"]), utc(d["expires_at"])
    assert created_at is not None and expires_at is not None  # always written
    return OAuthFlow(
        nonce=d["nonce"],
        session_id=d["session_id"],
        address=d["address"],
        brand_id=d["brand_id"],
        import_recent=bool(d["import_recent"]),
        code_verifier=d["code_verifier"],
        redirect_uri=d["redirect_uri"],
        created_at=created_at,
        expires_at=expires_at,
        reconnect=bool(d.get("reconnect", False)),
    )


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
