"""The threading ladder: which stored identifiers may attach a mail to an existing ticket, in which order.

Rules are tried in order and the one that matched is recorded on the comment. Subject alone never threads.
"""

from __future__ import annotations

from collections.abc import Sequence

GMAIL_THREAD = "gmail_thread"
SAME_MESSAGE = "same_message"  # the very same mail, already imported through another connected inbox
REFERENCES = "references"
MESSAGE_ID_TOKEN = "message_id_token"  # In-Reply-To/References name one of our signed Message-IDs
SUBJECT_TOKEN = "subject_token"  # "[#123]" in the subject, from the ticket's requester or a follower
BOUNCE = "bounce"  # a delivery report about a mail of this ticket


def reference_candidates(in_reply_to: str | None, references: Sequence[str]) -> list[str]:
    """Message-IDs to look up, most specific first: In-Reply-To, then References from newest to oldest."""
    seen: list[str] = []
    for mid in ([in_reply_to] if in_reply_to else []) + list(reversed(references)):
        if mid and mid not in seen:
            seen.append(mid)
    return seen
