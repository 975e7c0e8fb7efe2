"""Contract: ticket views. `ticket_page` filters and sorts as `TicketFilter.matches` and `ticket_query.sort_key`
say, pages by keyset (Older walks down, Newer walks back up, each page once, nothing skipped), and `count_tickets`
counts what the filter matches — the same answers from both stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.paging import BadCursor, PageRequest
from gmail_tickets.domain.ticket_activity import note_comment
from gmail_tickets.domain.ticket_fields import Priority, TicketStatus
from gmail_tickets.domain.ticket_query import TicketFilter, TicketSort, sort_key
from gmail_tickets.ports import Store, UnitOfWork

T0 = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)
HELP, SALES = "help@acme.test", "sales@acme.test"
STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ON_HOLD, TicketStatus.SOLVED)


def _fill(store: Store, n: int = 13) -> list[Ticket]:
    """Tickets of every status, priority, assignee, brand, mailbox, requester and tag, updated out of id order."""
    def work(uow: UnitOfWork) -> list[Ticket]:
        made = []
        for i in range(n):
            ticket = Ticket(f"s{i}", f"Cust{i % 3}@Example.test", HELP if i % 2 else SALES,
                            brand_id="acme" if i % 4 else "beta", created_at=T0 + timedelta(minutes=i),
                            status=STATUSES[i % 5], priority=list(Priority)[i % 4],
                            assignee="ana@acme.test" if i % 3 == 1 else None, tags=["vip"] if i % 5 == 2 else [],
                            updated_at=T0 + timedelta(minutes=(i * 7) % 13))
            uow.add_ticket(ticket)
            made.append(ticket)
        return made

    return store.atomically(work)


def _all_pages(store: Store, query: TicketFilter, sort: TicketSort, limit: int) -> list[int]:
    ids: list[int] = []
    page = store.ticket_page(query, sort, PageRequest(limit))
    ids += [t.id for t in page.items]  # type: ignore[misc]
    while page.older:
        page = store.ticket_page(query, sort, PageRequest.from_cursor(page.older, limit))
        ids += [t.id for t in page.items]  # type: ignore[misc]
    return ids


@pytest.mark.parametrize("sort", list(TicketSort))
def test_every_page_in_order_once_and_back_again(store: Store, sort: TicketSort) -> None:
    made = _fill(store)
    expected = [t.id for t in sorted(made, key=lambda t: sort_key(t, sort), reverse=True)]
    assert _all_pages(store, TicketFilter(), sort, 4) == expected

    first = store.ticket_page(TicketFilter(), sort, PageRequest(4))
    assert first.newer is None and first.older is not None
    second = store.ticket_page(TicketFilter(), sort, PageRequest.from_cursor(first.older, 4))
    assert second.newer is not None
    back = store.ticket_page(TicketFilter(), sort, PageRequest.from_cursor(second.newer, 4))
    assert [t.id for t in back.items] == [t.id for t in first.items] and back.newer is None


@pytest.mark.parametrize("query", [
    TicketFilter(statuses=(TicketStatus.NEW, TicketStatus.OPEN)),
    TicketFilter(statuses=(TicketStatus.PENDING,)),
    TicketFilter(unassigned=True, statuses=(TicketStatus.NEW, TicketStatus.OPEN)),
    TicketFilter(assignee="ana@acme.test"),
    TicketFilter(brand_id="beta"),
    TicketFilter(connection=HELP),
    TicketFilter(requester="cust1@example.test"),
    TicketFilter(tag="vip"),
    # at or after the moment, whatever offset it is written with (compared in UTC)
    TicketFilter(updated_since=(T0 + timedelta(minutes=6)).astimezone(timezone(timedelta(hours=2)))),
    TicketFilter(updated_since=T0 + timedelta(minutes=4), statuses=(TicketStatus.NEW, TicketStatus.OPEN)),
], ids=["all-open", "pending", "unassigned", "assignee", "brand", "mailbox", "requester", "tag", "updated-since",
        "updated-since-open"])
def test_filters_and_counts_match_the_domain_meaning(store: Store, query: TicketFilter) -> None:
    made = _fill(store)
    wanted = sorted((t for t in made if query.matches(t)), key=lambda t: sort_key(t, TicketSort.UPDATED),
                    reverse=True)
    assert wanted, "the fixture should match something"
    assert _all_pages(store, query, TicketSort.UPDATED, 2) == [t.id for t in wanted]
    assert store.count_tickets(query) == len(wanted)


def test_a_reply_moves_an_old_ticket_to_the_top_with_its_author(store: Store) -> None:
    made = _fill(store, 5)
    oldest = min(made, key=lambda t: sort_key(t, TicketSort.UPDATED))
    later = T0 + timedelta(days=1)

    def reply(uow: UnitOfWork) -> None:
        ticket = uow.get_ticket(oldest.id)  # type: ignore[arg-type]
        assert ticket is not None
        comment = Comment(oldest.id, "Cust0@Example.test", "Any news?", later, HELP)  # type: ignore[arg-type]
        note_comment(ticket, comment, now=later)
        uow.put_ticket(ticket)
        uow.add_comment(comment)

    store.atomically(reply)
    top = store.ticket_page(TicketFilter(), TicketSort.UPDATED, PageRequest(1)).items[0]
    assert top.id == oldest.id
    assert (top.last_author, top.last_author_kind, top.last_activity_at) == ("Cust0@Example.test", "customer", later)


def test_a_cursor_of_another_sort_starts_from_the_top_and_a_forged_one_is_refused(store: Store) -> None:
    _fill(store, 6)
    by_created = store.ticket_page(TicketFilter(), TicketSort.CREATED, PageRequest(2))
    assert by_created.older is not None
    page = store.ticket_page(TicketFilter(), TicketSort.PRIORITY, PageRequest.from_cursor(by_created.older, 2))
    first = store.ticket_page(TicketFilter(), TicketSort.PRIORITY, PageRequest(2))
    assert [t.id for t in page.items] == [t.id for t in first.items]
    with pytest.raises(BadCursor):
        PageRequest.from_cursor("not-a-cursor!")


def test_an_empty_store_has_one_empty_page(store: Store) -> None:
    page = store.ticket_page(TicketFilter(), TicketSort.UPDATED, PageRequest(5))
    assert (page.items, page.older, page.newer) == ([], None, None)
    assert store.count_tickets(TicketFilter(statuses=(TicketStatus.NEW,))) == 0
