"""What one mail becomes, decided from reads alone."""

from gmail_tickets.domain.auto_mail import MailKind, Verdict
from gmail_tickets.domain.disposition import (
    SAME_MAIL_REASON,
    SPOOF_REASON,
    AddComment,
    Duplicate,
    Ignore,
    NewTicket,
    SameMail,
    Screening,
    Suspend,
    decide,
    decide_recovered,
    first_followers,
)
from gmail_tickets.domain.model import LedgerEntry, Outcome
from gmail_tickets.domain.thread_rules import Incoming
from gmail_tickets.domain.ticket_fields import TicketStatus
from tests.unit.fake_lookup import FakeLookup, ticket

OURS = frozenset({"help@ours.example", "sales@ours.example"})
PERSON = Screening(Verdict(MailKind.NORMAL, "No sign of automatic mail."))


def mail(**kwargs: object) -> Incoming:
    values: dict = {"message_id": "new@customer.example", "gmail_thread_id": "thread-new",
                    "requester": "ann@customer.example", "from_address": "ann@customer.example"}
    values.update(kwargs)
    return Incoming(**values)


def test_a_mail_the_ledger_holds_is_a_duplicate_before_anything_else_is_read() -> None:
    lookup = FakeLookup(recorded=True, by_thread={"thread-new": 3})
    assert decide(PERSON, mail(), lookup, OURS) == Duplicate()
    assert lookup.reads == ["ledger"]


def test_a_person_with_no_thread_opens_a_new_ticket() -> None:
    assert decide(PERSON, mail(), FakeLookup(), OURS) == NewTicket()


def test_our_own_mail_is_ignored_with_the_verdicts_reason() -> None:
    own = Screening(Verdict(MailKind.OWN_LOOP, "From is our own support address help@ours.example."))
    assert decide(own, mail(), FakeLookup(), OURS) == Ignore(None, own.verdict.reason)


def test_a_bounce_comments_on_the_bounced_ticket_else_is_suspended() -> None:
    bounce = Screening(Verdict(MailKind.BOUNCE, "Delivery status report."))
    found = FakeLookup(by_message_id={"ack@ours": 4})
    assert decide(bounce, mail(original_message_id="ack@ours", cc=("x@y.example",)), found, OURS) == AddComment(
        4, "bounce")
    assert decide(bounce, mail(), FakeLookup(), OURS) == Suspend(
        "Delivery status report.; the bounced mail is not one of ours")


def test_auto_replies_bulk_and_bursts_are_suspended_without_threading() -> None:
    for kind in (MailKind.AUTO_REPLY, MailKind.BULK):
        lookup = FakeLookup(by_thread={"thread-new": 3})
        assert decide(Screening(Verdict(kind, "why")), mail(), lookup, OURS) == Suspend("why")
        assert lookup.reads == ["ledger"]
    burst = Screening(PERSON.verdict, "More than 20 mails from this sender within 10 minutes.")
    assert decide(burst, mail(), FakeLookup(), OURS) == Suspend(burst.burst_reason)


def stored(gmail_id: str = "g-a", sender: str | None = "ann@customer.example", content_hash: str | None = "h1",
           ticket_id: int = 9) -> LedgerEntry:
    return LedgerEntry("a@ours.example", gmail_id, Outcome.TICKET, ticket_id, f"c-{ticket_id}",
                       "new@customer.example", sender=sender, content_hash=content_hash)


def test_the_same_mail_through_another_inbox_is_set_aside_with_what_it_copies() -> None:
    lookup = FakeLookup(stored={"new@customer.example": [stored()]})
    decided = decide(PERSON, mail(gmail_message_id="g-b", content_hash="h1"), lookup, OURS)
    assert decided == SameMail(9, "c-9") and decided.reason == SAME_MAIL_REASON


def test_the_same_gmail_message_is_the_same_mail_whatever_its_hash() -> None:
    lookup = FakeLookup(stored={"new@customer.example": [stored(gmail_id="g-a", content_hash="old")]})
    assert decide(PERSON, mail(gmail_message_id="g-a", content_hash="new"), lookup, OURS) == SameMail(9, "c-9")


def test_a_different_mail_reusing_a_message_id_is_a_mail_of_its_own() -> None:
    other_body = FakeLookup(stored={"new@customer.example": [stored(content_hash="h1")]})
    assert decide(PERSON, mail(gmail_message_id="g-b", content_hash="h2"), other_body, OURS) == NewTicket()
    other_sender = FakeLookup(stored={"new@customer.example": [stored(sender="eve@evil.example")]})
    assert decide(PERSON, mail(gmail_message_id="g-b", content_hash="h1"), other_sender, OURS) == NewTicket()


def test_a_reused_message_id_never_joins_someone_elses_ticket() -> None:
    """Its own Message-ID names ticket 9 (Eve's): Ann is not on it, so Ann's mail is her own ticket."""
    lookup = FakeLookup(stored={"new@customer.example": [stored(sender="eve@evil.example")]},
                        by_message_id={"new@customer.example": 9}, tickets={9: ticket(9, "eve@evil.example")})
    assert decide(PERSON, mail(gmail_message_id="g-b", content_hash="h1"), lookup, OURS) == NewTicket()


def test_an_entry_from_before_hashes_were_kept_is_compared_by_sender() -> None:
    legacy = FakeLookup(stored={"new@customer.example": [stored(content_hash=None)]})
    assert decide(PERSON, mail(gmail_message_id="g-b", content_hash="h1"), legacy, OURS) == SameMail(9, "c-9")
    stranger = mail(gmail_message_id="g-b", from_address="eve@evil.example", requester="eve@evil.example")
    assert decide(PERSON, stranger, legacy, OURS) == NewTicket()


def test_a_reply_becomes_a_comment_and_its_new_cc_join_as_followers() -> None:
    lookup = FakeLookup(by_thread={"thread-new": 3}, tickets={3: ticket(3, followers=["bob@customer.example"])})
    reply = mail(cc=("Bob@customer.example", "carol@customer.example", "help@ours.example", "Ann@customer.example"),
                 authenticated=True)  # only an authenticated reply's Cc join
    decided = decide(PERSON, reply, lookup, OURS)
    assert isinstance(decided, AddComment) and (decided.ticket_id, decided.matched_by) == (3, "gmail_thread")
    assert decided.joined is not None
    assert decided.joined.followers == ["bob@customer.example", "carol@customer.example"]
    assert lookup.tickets[3].followers == ["bob@customer.example"]  # what was read is not changed


def test_a_reply_whose_cc_is_known_changes_no_ticket_and_reads_none_without_cc() -> None:
    lookup = FakeLookup(by_thread={"thread-new": 3}, tickets={3: ticket(3, followers=["bob@customer.example"])})
    assert decide(PERSON, mail(cc=("bob@customer.example",)), lookup, OURS) == AddComment(3, "gmail_thread")
    quiet = FakeLookup(by_thread={"thread-new": 3}, tickets={3: ticket(3)})
    assert decide(PERSON, mail(), quiet, OURS) == AddComment(3, "gmail_thread")
    assert quiet.reads == ["ledger", "same message id", "thread", "ticket 3"]  # read once: is the sender on it?


def test_a_new_tickets_followers_are_the_cc_minus_us_and_the_requester() -> None:
    cc = ("help@ours.example", "ann@customer.example", "bob@customer.example")
    assert first_followers(mail(cc=cc), OURS) == ["bob@customer.example"]


def test_every_rung_joins_only_for_the_requester_or_a_follower_else_a_new_ticket_mentions_it() -> None:
    on_it = ticket(3, "ann@customer.example", ["bob@customer.example"])
    for lookup in (FakeLookup(by_thread={"thread-new": 3}, tickets={3: on_it}),
                   FakeLookup(by_message_id={"old@x": 3}, tickets={3: on_it}),
                   FakeLookup(signed={"t3.n.sig@ours": 3}, tickets={3: on_it}),
                   FakeLookup(tickets={3: on_it})):
        stranger = mail(from_address="eve@evil.example", requester="eve@evil.example", in_reply_to="old@x",
                        references=("t3.n.sig@ours",), subject="Re: Printer [#3]", authenticated=True,
                        cc=("mallory@evil.example",))
        decided = decide(PERSON, stranger, lookup, OURS)
        assert isinstance(decided, NewTicket) and decided.mentions == 3 and decided.matched_by
        follower = mail(from_address="bob@customer.example", requester="bob@customer.example", in_reply_to="old@x",
                        references=("t3.n.sig@ours",), subject="Re: Printer [#3]")
        assert isinstance(decide(PERSON, follower, lookup, OURS), AddComment)


def test_an_unknown_sender_is_on_no_ticket() -> None:
    lookup = FakeLookup(by_thread={"thread-new": 3}, tickets={3: ticket(3, "unknown sender")})
    assert decide(PERSON, mail(from_address="", requester="unknown sender"), lookup, OURS) == NewTicket(
        3, "gmail_thread")


def test_the_first_ticket_the_sender_is_on_wins_over_an_earlier_rung_naming_anothers() -> None:
    lookup = FakeLookup(by_thread={"thread-new": 3}, by_message_id={"mine@x": 5},
                        tickets={3: ticket(3, "ann@customer.example"), 5: ticket(5, "eve@evil.example")})
    eve = mail(from_address="eve@evil.example", requester="eve@evil.example", in_reply_to="mine@x")
    assert decide(PERSON, eve, lookup, OURS) == AddComment(5, "references")


def test_a_possible_spoof_is_suspended_before_threading() -> None:
    lookup = FakeLookup(by_thread={"thread-new": 3}, tickets={3: ticket(3)})
    assert decide(PERSON, mail(possible_spoof=True), lookup, OURS) == Suspend(SPOOF_REASON)
    assert lookup.reads == ["ledger"]


def test_a_recovered_mail_threads_by_the_ladder_but_a_possible_spoof_never_joins_a_ticket() -> None:
    """Recovery skips the auto-mail, burst and spoof rules (the agent judged them), never the sender-trust rule."""
    lookup = FakeLookup(by_thread={"thread-new": 3}, tickets={3: ticket(3)})
    assert decide_recovered(mail(), lookup, OURS) == AddComment(3, "gmail_thread", None, ticket(3))
    assert decide_recovered(mail(possible_spoof=True), lookup, OURS) == NewTicket(3, "gmail_thread")
    eve = mail(from_address="eve@evil.example", requester="eve@evil.example")
    assert decide_recovered(eve, lookup, OURS) == NewTicket(3, "gmail_thread")
    stored = FakeLookup(stored={"new@customer.example": [LedgerEntry("sales@ours.example", "g1", Outcome.TICKET,
                                                                     ticket_id=8, comment_id="c1",
                                                                     sender="ann@customer.example")]})
    assert decide_recovered(mail(), stored, OURS) == SameMail(8, "c1")


def test_an_unauthenticated_replys_cc_do_not_join() -> None:
    lookup = FakeLookup(by_thread={"thread-new": 3}, tickets={3: ticket(3)})
    assert decide(PERSON, mail(cc=("carol@customer.example",)), lookup, OURS) == AddComment(3, "gmail_thread")
    joined = decide(PERSON, mail(cc=("carol@customer.example",), authenticated=True), lookup, OURS)
    assert isinstance(joined, AddComment) and joined.joined.followers == ["carol@customer.example"]


def test_a_domain_burst_holds_back_new_tickets_but_not_replies_from_people_on_the_ticket() -> None:
    """Anyone can rotate addresses of a big provider's domain: that must not silence its real customers."""
    flood = Screening(PERSON.verdict, domain_burst_reason="More than 100 mails from this sender's domain within 10 "
                      "minutes.")
    assert decide(flood, mail(), FakeLookup(), OURS) == Suspend(flood.domain_burst_reason or "")
    on_ticket = FakeLookup(by_thread={"thread-new": 3}, tickets={3: ticket(3)})
    decided = decide(flood, mail(), on_ticket, OURS)
    assert isinstance(decided, AddComment) and decided.ticket_id == 3
    stranger = FakeLookup(by_thread={"thread-new": 3}, tickets={3: ticket(3, requester="bob@customer.example")})
    assert decide(flood, mail(), stranger, OURS) == Suspend(flood.domain_burst_reason or "")


def test_a_reply_on_a_closed_ticket_opens_a_follow_up_that_links_to_it() -> None:
    lookup = FakeLookup(by_thread={"thread-new": 3}, tickets={3: ticket(3, status=TicketStatus.CLOSED)})
    assert decide(PERSON, mail(), lookup, OURS) == NewTicket(matched_by="gmail_thread", follow_up_of=3)
    assert lookup.tickets[3].status == TicketStatus.CLOSED  # the closed ticket is only read


def test_a_later_rung_naming_the_open_follow_up_takes_the_reply() -> None:
    lookup = FakeLookup(by_thread={"thread-new": 3}, by_message_id={"ours-5@ours": 5},
                        tickets={3: ticket(3, status=TicketStatus.CLOSED), 5: ticket(5, follow_up_of=3)})
    decided = decide(PERSON, mail(in_reply_to="ours-5@ours"), lookup, OURS)
    assert isinstance(decided, AddComment) and (decided.ticket_id, decided.matched_by) == (5, "references")


def test_a_stranger_answering_a_closed_ticket_opens_a_ticket_that_mentions_it_not_a_follow_up() -> None:
    lookup = FakeLookup(by_thread={"thread-new": 3}, tickets={3: ticket(3, status=TicketStatus.CLOSED)})
    stranger = mail(from_address="eve@elsewhere.example", requester="eve@elsewhere.example")
    assert decide(PERSON, stranger, lookup, OURS) == NewTicket(3, "gmail_thread")


def test_a_customer_reply_carries_the_ticket_read_so_the_writer_can_reopen_it() -> None:
    lookup = FakeLookup(by_thread={"thread-new": 3}, tickets={3: ticket(3, status=TicketStatus.PENDING)})
    decided = decide(PERSON, mail(), lookup, OURS)
    assert isinstance(decided, AddComment) and decided.ticket is not None
    assert decided.ticket.status == TicketStatus.PENDING
