"""The threading ladder, rule by rule, against a lookup of plain dicts."""

from gmail_tickets.domain import thread_rules as rules
from gmail_tickets.domain.thread_rules import Incoming, Match, bounced_ticket, find_ticket
from tests.unit.fake_lookup import FakeLookup, ticket


def mail(**kwargs: object) -> Incoming:
    values: dict = {"message_id": "new@customer.example", "gmail_thread_id": "thread-new",
                    "requester": "ann@customer.example", "from_address": "ann@customer.example"}
    values.update(kwargs)
    return Incoming(**values)


def test_the_ladder_order_and_names_are_those_stored_on_comments() -> None:
    assert [r.name for r in rules.LADDER] == [
        "gmail_thread", "references", "message_id_token", "subject_token"]


def test_nothing_known_means_no_match() -> None:
    assert find_ticket(mail(subject="Hello"), FakeLookup()) is None


def test_a_mails_own_message_id_threads_nothing() -> None:
    """Another mail may reuse it: the same mail through another inbox is told apart before the ladder."""
    lookup = FakeLookup(by_message_id={"new@customer.example": 7})
    assert find_ticket(mail(), lookup) is None


def test_gmail_thread_before_references() -> None:
    lookup = FakeLookup(by_thread={"thread-new": 8}, by_message_id={"old@x": 9})
    assert find_ticket(mail(in_reply_to="old@x"), lookup) == Match(8, "gmail_thread")


def test_references_match_a_stored_message_id() -> None:
    lookup = FakeLookup(by_message_id={"first@x": 9})
    assert find_ticket(mail(references=("first@x", "second@x")), lookup) == Match(9, "references")


def test_our_signed_message_id_threads_only_onto_an_existing_ticket() -> None:
    gone = FakeLookup(signed={"t5.n.sig@ours": 5})
    assert find_ticket(mail(in_reply_to="t5.n.sig@ours"), gone) is None
    there = FakeLookup(signed={"t5.n.sig@ours": 5}, tickets={5: ticket(5)})
    assert find_ticket(mail(in_reply_to="t5.n.sig@ours"), there) == Match(5, "message_id_token")


def test_subject_token_names_an_existing_ticket_and_on_ticket_says_who_may_join() -> None:
    lookup = FakeLookup(tickets={12: ticket(12, "Ann@Customer.example", ["bob@customer.example"])})
    assert find_ticket(mail(subject="Re: Printer [#12]"), lookup) == Match(12, "subject_token")
    stranger = mail(subject="Re: Printer [#12]", requester="eve@evil.example", from_address="eve@evil.example")
    assert find_ticket(stranger, lookup) == Match(12, "subject_token")  # it answers #12 …
    t = lookup.tickets[12]
    assert rules.on_ticket(t, "ann@customer.example") and rules.on_ticket(t, "Bob@customer.example")
    assert not rules.on_ticket(t, "eve@evil.example") and not rules.on_ticket(t, "")  # … but may not join it


def test_a_subject_token_naming_no_ticket_does_not_thread() -> None:
    assert find_ticket(mail(subject="[#404]"), FakeLookup()) is None


def test_reads_stop_at_the_first_match() -> None:
    lookup = FakeLookup(by_thread={"thread-new": 8})
    find_ticket(mail(in_reply_to="old@x", subject="[#3]"), lookup)
    assert lookup.reads == ["thread"]


def test_a_bounce_finds_the_ticket_of_the_bounced_mail_signed_first_then_stored() -> None:
    signed = FakeLookup(signed={"t5.n.sig@ours": 5}, tickets={5: ticket(5)}, by_message_id={"t5.n.sig@ours": 6})
    assert bounced_ticket(mail(original_message_id="t5.n.sig@ours"), signed) == 5
    stored = FakeLookup(by_message_id={"ack@ours": 6})
    assert bounced_ticket(mail(original_message_id="ack@ours"), stored) == 6
    assert bounced_ticket(mail(), stored) is None
