"""Contract: full-text search finds tickets by subject, requester name and address, and every comment's text
(internal notes too), folding case, accents and full-width forms, by CJK character pairs, quoted phrases and
prefixes, narrowed by a view's filter, newest first a page at a time — and keeps in step with ticket writes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gmail_tickets.domain.model import Comment, Ticket
from gmail_tickets.domain.search_query import parse
from gmail_tickets.domain.ticket_fields import TicketStatus
from gmail_tickets.domain.ticket_query import TicketFilter
from gmail_tickets.ports import Store, UnitOfWork
from gmail_tickets.services import ticket_search
from tests.contract.conftest import T0

HELP = "help@acme.test"
SALES = "sales@acme.test"


def _ticket(store: Store, subject: str, *bodies: str, requester: str = "ann@customer.test", name: str = "Ann Lee",
            connection: str = HELP, status: TicketStatus = TicketStatus.NEW, tags: tuple[str, ...] = (),
            note: str | None = None) -> int:
    """A ticket with a comment per body, plus an agent's internal note when `note` is given."""

    def work(uow: UnitOfWork) -> int:
        ticket = Ticket(subject=subject, requester=requester, requester_name=name, connection=connection,
                        status=status, tags=list(tags), created_at=T0)
        ticket_id = uow.add_ticket(ticket)
        for body in bodies:
            uow.add_comment(Comment(ticket_id=ticket_id, author=requester, body_text=body, created_at=T0,
                                    connection=connection))
        if note is not None:
            uow.add_comment(Comment(ticket_id=ticket_id, author="Ana", body_text=note, created_at=T0,
                                    connection=connection, author_kind="agent", public=False))
        return ticket_id

    return store.atomically(work)


def _found(store: Store, text: str, ticket_filter: TicketFilter | None = None) -> list[int]:
    page = store.search_tickets(parse(text), filter=ticket_filter or TicketFilter(), limit=50)
    return [t.id for t in page.tickets if t.id is not None]


def test_case_accents_and_full_width_forms_fold_both_ways(store: Store) -> None:
    cafe = _ticket(store, "Café crème brûlée", "Ｗｉｆｉ is down")
    other = _ticket(store, "Cafeteria menu", "nothing")

    assert _found(store, "cafe") == [cafe]
    assert _found(store, "CAFÉ") == [cafe]
    assert _found(store, "creme brulee") == [cafe]
    assert _found(store, "wifi") == [cafe]
    assert _found(store, "cafeteria") == [other]


def test_cjk_text_without_spaces_is_found_by_two_characters(store: Store) -> None:
    tokyo = _ticket(store, "配送について", "東京都の天気は晴れです")
    kyoto = _ticket(store, "質問", "京都に行きます")

    assert _found(store, "東京") == [tokyo]
    assert _found(store, "天気") == [tokyo]
    assert _found(store, "京都") == [kyoto, tokyo]  # 東京都 holds 京都 too
    assert _found(store, "東京都") == [tokyo]
    assert _found(store, "配送") == [tokyo]
    assert _found(store, "京東") == []


def test_a_quoted_phrase_needs_its_words_side_by_side_in_order(store: Store) -> None:
    policy = _ticket(store, "Question", "What is your refund policy for damaged goods?")
    scattered = _ticket(store, "Policy question", "I want a refund")

    assert _found(store, '"refund policy"') == [policy]
    assert _found(store, "refund policy") == [scattered, policy]
    assert _found(store, '"policy refund"') == []


def test_a_prefix_finds_words_that_start_with_it(store: Store) -> None:
    refunded = _ticket(store, "Refunded twice", "hello")
    refundable = _ticket(store, "Is it refundable", "hello")
    _ticket(store, "Reference number", "hello")

    assert _found(store, "refu*") == [refundable, refunded]
    assert _found(store, "refundab*") == [refundable]
    assert _found(store, "refundabl*") == [refundable]  # longer than the prefixes a term index may keep
    assert _found(store, "refu") == []


def test_every_comment_and_internal_notes_are_searched(store: Store) -> None:
    ticket = _ticket(store, "Printer", "first mail", "second mail mentions the toner", note="customer is a VIP")

    assert _found(store, "toner") == [ticket]
    assert _found(store, "vip") == [ticket]
    assert _found(store, "printer toner vip") == [ticket]  # the words may sit in different texts of one ticket


def test_requester_name_and_address_are_searched(store: Store) -> None:
    zoe = _ticket(store, "Hallo", "Guten Tag", requester="zoe.mueller@beispiel.de", name="Zoë Müller")
    _ticket(store, "Other", "hello")

    assert _found(store, "zoe") == [zoe]
    assert _found(store, "muller") == [zoe]
    assert _found(store, "zoe.mueller@beispiel.de") == [zoe]
    assert _found(store, "beispiel") == [zoe]


def test_filters_narrow_the_matches(store: Store) -> None:
    open_help = _ticket(store, "Broken invoice", "x", status=TicketStatus.OPEN, tags=("billing",))
    new_help = _ticket(store, "Broken invoice", "x")
    open_sales = _ticket(store, "Broken invoice", "x", connection=SALES, status=TicketStatus.OPEN,
                         requester="bob@customer.test")

    assert _found(store, "invoice", TicketFilter(statuses=(TicketStatus.OPEN,))) == [open_sales, open_help]
    assert _found(store, "invoice", TicketFilter(connection=HELP)) == [new_help, open_help]
    assert _found(store, "invoice", TicketFilter(tag="billing")) == [open_help]
    assert _found(store, "invoice", TicketFilter(requester="bob@customer.test")) == [open_sales]
    assert _found(store, "invoice", TicketFilter(statuses=(TicketStatus.SOLVED,))) == []


def test_no_match_and_an_empty_query_find_nothing(store: Store) -> None:
    _ticket(store, "Printer on fire", "It smokes.")

    assert _found(store, "elephant") == []
    assert _found(store, "printer elephant") == []
    assert _found(store, "") == []
    assert _found(store, '"" *') == []


def test_results_come_newest_first_a_page_at_a_time(store: Store) -> None:
    ids = [_ticket(store, f"Login problem {n}", "cannot sign in") for n in range(5)]
    _ticket(store, "Unrelated", "x")

    first = store.search_tickets(parse("login"), filter=TicketFilter(), limit=2)
    assert [t.id for t in first.tickets] == ids[:-3:-1] and first.next_cursor is not None
    second = store.search_tickets(parse("login"), filter=TicketFilter(), limit=2, cursor=first.next_cursor)
    assert [t.id for t in second.tickets] == [ids[2], ids[1]] and second.next_cursor is not None
    last = store.search_tickets(parse("login"), filter=TicketFilter(), limit=2, cursor=second.next_cursor)
    assert [t.id for t in last.tickets] == [ids[0]] and last.next_cursor is None


def test_the_index_follows_a_changed_ticket(store: Store) -> None:
    ticket_id = _ticket(store, "Old subject", "body")

    def rename(uow: UnitOfWork) -> None:
        ticket = uow.get_ticket(ticket_id)
        assert ticket is not None
        uow.put_ticket(replace(ticket, subject="Renamed shipment"))

    store.atomically(rename)

    assert _found(store, "shipment") == [ticket_id]
    assert _found(store, "old subject") == []
    assert _found(store, "body") == [ticket_id]


@pytest.mark.parametrize("typed", ["#{id}", "{id}", " #{id} "])
def test_a_ticket_number_opens_that_ticket(store: Store, typed: str) -> None:
    ticket_id = _ticket(store, "Anything", "x")

    result = ticket_search.search(store, typed.format(id=ticket_id))

    assert result.jump_to == ticket_id and result.page.tickets == []


def test_a_number_that_is_no_ticket_is_searched_as_text(store: Store) -> None:
    order = _ticket(store, "Order 90210 missing", "x")

    assert ticket_search.search(store, "90210").jump_to is None
    assert [t.id for t in ticket_search.search(store, "#90210").page.tickets] == [order]
