"""Which Gmail changes are new customer mail. Pure functions over label ids, so they are easy to test.

Read state is a weak selector (a phone may read a mail before we see it); the ledger of what we imported is the
truth. These rules only choose the candidates: the ledger decides whether a candidate is new.
"""

from __future__ import annotations

from collections.abc import Iterable

INBOX = "INBOX"
UNREAD = "UNREAD"
NEVER_TICKETS = frozenset({"SENT", "DRAFT", "SPAM", "TRASH"})
"""Our own sent mail, drafts, spam and trash never become tickets, whatever other labels they carry."""

CANDIDATE_KINDS = ("messageAdded", "labelAdded")


def qualifies(label_ids: Iterable[str]) -> bool:
    """A mail is a candidate when it sits in INBOX, is unread, and is none of SENT/DRAFT/SPAM/TRASH."""
    labels = set(label_ids)
    return INBOX in labels and UNREAD in labels and not labels & NEVER_TICKETS


def still_wanted(label_ids: Iterable[str]) -> bool:
    """At fetch time: drop a candidate that has since gone to spam or trash (or was ours all along)."""
    return not set(label_ids) & NEVER_TICKETS


def is_candidate_change(kind: str, label_ids: Iterable[str], changed_label_ids: Iterable[str] = ()) -> bool:
    """A history record names a candidate when a qualifying mail was added, or INBOX was added to one
    (a mail moved back to the inbox). Label changes other than INBOX (e.g. our own label) are not news."""
    if kind == "messageAdded":
        return qualifies(label_ids)
    if kind == "labelAdded":
        return INBOX in set(changed_label_ids) and qualifies(label_ids)
    return False


def full_sync_query(after_epoch_seconds: int) -> str:
    """The search that stands in for history after a 404: unread inbox mail since a point in time."""
    return f"in:inbox is:unread after:{after_epoch_seconds}"
