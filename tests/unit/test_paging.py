"""Keyset paging's pure parts: cursors round-trip and refuse what is not theirs, a page knows which sides have
more from the rows a store fetched (limit + 1), and a view's filter narrowed by the agent's own."""

from __future__ import annotations

import pytest

from gmail_tickets.domain.paging import MAX_PAGE, BadCursor, PageRequest, cursor, page_of
from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.domain.ticket_query import TicketFilter
from gmail_tickets.domain.ticket_views import BY_KEY, OPEN_STATUSES, narrowed


def test_a_cursor_round_trips_its_key_and_direction() -> None:
    key = ("2026-01-01T00:00:00.000000+00:00", 42)
    assert PageRequest.from_cursor(cursor(key, backward=True), 10) == PageRequest(10, key, True)
    assert PageRequest.from_cursor(cursor(key, backward=False), 10) == PageRequest(10, key, False)
    assert PageRequest.from_cursor(None, 10_000).limit == MAX_PAGE


@pytest.mark.parametrize("forged", ["x", "eyJhIjoxfQ", cursor((1,), backward=False)[:-3] + "!!!", "WyJxIiwgWzFdXQ"])
def test_a_forged_cursor_is_refused(forged: str) -> None:
    with pytest.raises(BadCursor):
        PageRequest.from_cursor(forged)


def _forged(key: list[object]) -> str:
    return cursor(tuple(key), backward=False)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", [[], [{"a": 1}], [[1]], [2**63, 1], [-(2**63) - 1], [1.5], [True, 1], ["x" * 1501]])
def test_a_cursor_whose_key_no_store_can_compare_is_refused(key: list[object]) -> None:
    with pytest.raises(BadCursor):
        PageRequest.from_cursor(_forged(key))


def test_a_cursor_of_another_lists_shape_starts_from_the_top() -> None:
    updated = PageRequest.from_cursor(_forged(["2026-01-01T00:00:00.000000+00:00", 7]), 10)
    assert updated.fitting(str, int) is updated
    assert updated.fitting(int) == updated.fitting(int, str) == updated.fitting(str, str) == PageRequest(10)
    assert PageRequest.from_cursor(_forged([None]), 10).fitting(int) == PageRequest(10)
    assert PageRequest(5).fitting(int) == PageRequest(5)


def test_a_page_knows_its_neighbours_from_one_extra_row() -> None:
    rows = [5, 4, 3]
    first = page_of(rows, PageRequest(2), lambda r: (r,))
    assert first.items == [5, 4] and first.newer is None and first.older is not None
    older = PageRequest.from_cursor(first.older, 2)
    last = page_of([3], older, lambda r: (r,))
    assert last.items == [3] and last.older is None and last.newer is not None
    back = page_of([4, 5], PageRequest.from_cursor(last.newer, 2), lambda r: (r,))  # fetched smallest first
    assert back.items == [5, 4] and back.newer is None and back.older is not None
    assert page_of([], PageRequest(2), lambda r: (r,)).items == []


def test_an_agents_filters_narrow_a_view() -> None:
    unassigned = BY_KEY["unassigned"].filter("ana@acme.test")
    assert unassigned == TicketFilter(statuses=OPEN_STATUSES, unassigned=True)
    picked = narrowed(unassigned, TicketFilter(assignee="bo@acme.test", tag="vip"))
    assert (picked.unassigned, picked.assignee, picked.tag, picked.statuses) == (False, "bo@acme.test", "vip",
                                                                                   OPEN_STATUSES)
    assert narrowed(BY_KEY["mine"].filter("ana@acme.test"),
                    TicketFilter(statuses=(TicketStatus.PENDING,))).statuses == (TicketStatus.PENDING,)
