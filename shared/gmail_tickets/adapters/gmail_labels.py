"""Labels: find or create one by name, and add/remove labels on messages at the lowest quota cost."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gmail_tickets.adapters.gmail_errors import Conflict
from gmail_tickets.adapters.gmail_transport import GmailTransport
from gmail_tickets.errors import MailboxError

MODIFY_MAX_IDS = 10  # up to here messages.modify (5 units each) costs no more than one batchModify (50)
BATCH_MODIFY_MAX_IDS = 1000


def ensure_label(transport: GmailTransport, name: str) -> str:
    """Find the label case-insensitively (as Gmail compares names); create it if missing. A 409 means
    someone created it between our list and create: list again and reuse theirs."""
    found = find_label(transport, name)
    if found:
        return found
    try:
        created = transport.call(
            "labels", "create",
            body={"name": name, "labelListVisibility": "labelShow", "messageListVisibility": "show"},
        )
        return str(created["id"])
    except Conflict:
        found = find_label(transport, name)
        if found:
            return found
        raise MailboxError(f"Gmail labels.create: name conflicts but no label matches {name!r}") from None


def find_label(transport: GmailTransport, name: str) -> str | None:
    wanted = name.casefold()
    for label in transport.call("labels", "list").get("labels") or ():
        if str(label.get("name", "")).casefold() == wanted:
            return str(label["id"])
    return None


def modify_labels(
    transport: GmailTransport, ids: Sequence[str], add: Sequence[str] = (), remove: Sequence[str] = ()
) -> None:
    """Per chunk of <= 1000 ids: messages.modify (5 units each, one HTTP batch) for <= 10 ids, else one
    batchModify (50 units). Messages that are gone are skipped."""
    unique = list(dict.fromkeys(ids))
    if not unique or not (add or remove):
        return
    labels = {"addLabelIds": list(add), "removeLabelIds": list(remove)}
    for start in range(0, len(unique), BATCH_MODIFY_MAX_IDS):
        chunk = unique[start : start + BATCH_MODIFY_MAX_IDS]
        if len(chunk) <= MODIFY_MAX_IDS:
            transport.batch("messages", "modify", chunk, lambda mid: {"id": mid, "body": labels}, _ignore)
        else:
            transport.call("messages", "batchModify", body={"ids": chunk, **labels})


def modify_units(count: int) -> int:
    """The quota units `modify_labels` spends on `count` distinct ids (5 per messages.modify, 50 per batchModify)."""
    chunks = [min(BATCH_MODIFY_MAX_IDS, count - start) for start in range(0, count, BATCH_MODIFY_MAX_IDS)]
    return sum(5 * n if n <= MODIFY_MAX_IDS else 50 for n in chunks)


def _ignore(data: dict[str, Any]) -> bool:
    return True
