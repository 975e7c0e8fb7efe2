"""Which history changes are candidates for a ticket."""

import pytest

from gmail_tickets.domain import inbox_rules
from gmail_tickets.domain.thread_rules import reference_candidates


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["INBOX", "UNREAD"], True),
        (["INBOX", "UNREAD", "CATEGORY_PERSONAL", "IMPORTANT"], True),
        (["INBOX"], False),  # already read when we first saw it
        (["UNREAD"], False),  # archived
        (["INBOX", "UNREAD", "SPAM"], False),
        (["INBOX", "UNREAD", "TRASH"], False),
        (["SENT", "INBOX", "UNREAD"], False),  # our own sent mail
        (["DRAFT", "INBOX", "UNREAD"], False),
    ],
)
def test_qualifies(labels: list[str], expected: bool) -> None:
    assert inbox_rules.qualifies(labels) is expected


def test_message_added_is_candidate_when_it_qualifies() -> None:
    assert inbox_rules.is_candidate_change("messageAdded", ["INBOX", "UNREAD"])
    assert not inbox_rules.is_candidate_change("messageAdded", ["SENT"])


def test_label_added_counts_only_when_inbox_was_added() -> None:
    assert inbox_rules.is_candidate_change("labelAdded", ["INBOX", "UNREAD"], ["INBOX"])
    assert not inbox_rules.is_candidate_change("labelAdded", ["INBOX", "UNREAD", "Label_1"], ["Label_1"])
    assert not inbox_rules.is_candidate_change("labelAdded", ["INBOX"], ["INBOX"])


def test_deletions_and_removals_are_never_candidates() -> None:
    assert not inbox_rules.is_candidate_change("messageDeleted", ["INBOX", "UNREAD"])
    assert not inbox_rules.is_candidate_change("labelRemoved", ["INBOX", "UNREAD"], ["INBOX"])


def test_still_wanted_drops_spam_and_trash_found_at_fetch_time() -> None:
    assert inbox_rules.still_wanted(["INBOX"])  # read meanwhile: still ours, it was unread when first seen
    assert not inbox_rules.still_wanted(["TRASH"])


def test_full_sync_query_uses_epoch_seconds() -> None:
    assert inbox_rules.full_sync_query(1700000000) == "in:inbox is:unread after:1700000000"


def test_reference_candidates_most_specific_first_without_repeats() -> None:
    assert reference_candidates("c@x", ["a@x", "b@x", "c@x"]) == ["c@x", "b@x", "a@x"]
    assert reference_candidates(None, []) == []
