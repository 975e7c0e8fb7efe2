"""The chaos soak's counting: mail accounted for exactly once, acknowledgements delivered exactly once, the longest
stall after a kill, and the bar."""

from collections import Counter

from devstack.chaos.report import bar
from devstack.chaos.stack import Kill
from devstack.chaos.stall import StallTracker
from devstack.chaos.truth import account_acks, account_mail, bare


def test_each_delivered_mail_needs_its_ledger_entry_and_exactly_one_record() -> None:
    delivered = [("a", "1"), ("a", "2"), ("a", "3"), ("b", "1"), ("b", "4")]
    ledger = {("a", "1"): "ticket", ("a", "2"): "comment", ("a", "3"): "ticket", ("b", "1"): "suspended"}
    records = Counter({("a", "1"): 1, ("a", "2"): 1, ("a", "3"): 2, ("b", "1"): 1, ("b", "4"): 1})
    count = account_mail(delivered, ledger, records)
    assert count.delivered == 5 and count.accounted == 3
    assert count.duplicated == [("a", "3")]  # two tickets (or comments) of one mail
    assert count.missing == [("b", "4")]  # a record but no ledger entry: not settled
    assert count.outcomes == Counter({"ticket": 1, "comment": 1, "suspended": 1})
    assert account_mail([("a", "9")], {("a", "9"): "ticket"}, Counter()).missing == [("a", "9")]


def test_each_acknowledgement_to_send_is_found_once_across_gmail_and_the_relay() -> None:
    records = [("m1", "sent", 0), ("m2", "sent", 0), ("m3", "failed", 0), ("m4", "skipped", 0), ("m5", "sent", 0),
               ("m6", "retrying", 0)]
    gmail = Counter({"m1": 1, "m2": 1})
    relay = Counter({"m2": 1, "m5": 1, "other": 1})
    count = account_acks(records, gmail, relay)
    assert (count.decided, count.skipped, count.delivered_once) == (5, 1, 2)
    assert count.duplicated == ["m2"]  # sent via Gmail and again via the relay
    assert count.missing == ["m3", "m6"]  # failed, or still retrying after the settle: the customer has none
    assert count.strays == 1
    assert count.via == Counter({"gmail": 2, "relay": 2})


def test_a_copy_of_a_skipped_acknowledgement_is_a_stray() -> None:
    assert account_acks([("m1", "skipped", 0)], Counter({"m1": 1}), Counter()).strays == 1


def test_a_second_copy_is_explained_only_by_the_records_own_resends_after_interruption() -> None:
    records = [("m1", "sent", 1), ("m2", "sent", 1), ("m3", "sent", 1), ("m4", "sent", 0), ("m5", "sent", 2),
               ("m6", "failed", 1)]
    relay = Counter({"m1": 2, "m2": 3, "m3": 1, "m4": 2, "m5": 3})
    count = account_acks(records, Counter(), relay)
    assert count.explained == ["m1", "m5"]  # one extra copy per resend at most, as the record says
    assert count.duplicated == ["m2", "m4"]  # more copies than resends, or no resend at all: unexplained
    assert count.delivered_once == 1 and count.missing == ["m6"]  # a resend never excuses a missing one
    assert count.resent == 5  # records, not resends
    assert count.to_json()["explained_duplicates"] == 2 and count.to_json()["duplicated"] == 2


def test_message_ids_compare_without_angle_brackets() -> None:
    assert bare("<abc@x>") == bare(" abc@x ") == "abc@x"


def test_a_stall_counts_only_mailboxes_with_mail_waiting_and_ends_when_their_count_grows() -> None:
    tracker = StallTracker()
    tracker.on_kill(Kill("serve", 100.0), recorded={"a": 5, "b": 7}, delivered={"a": 9, "b": 7})
    assert [st.mailbox for st in tracker.stalls] == ["a"]  # b had nothing waiting: it cannot stall
    tracker.observe(104.0, {"a": 5, "b": 8})
    assert tracker.longest(104.0) == 4.0 and tracker.unresolved() == 1
    tracker.observe(112.5, {"a": 6, "b": 8})
    assert tracker.longest(200.0) == 12.5 and tracker.unresolved() == 0
    tracker.on_kill(Kill("serve", 150.0), recorded={"a": 6}, delivered={"a": 7})
    assert tracker.longest(190.0) == 40.0  # still waiting: counts until now
    assert tracker.longest_without([110.0], 190.0) == 40.0  # the clock jumped during the first stall only
    assert tracker.longest_without([110.0, 160.0], 190.0) == 0.0


def result(**changes: object) -> dict:
    base = {"mail": {"missing": 0, "duplicated": 0},
            "acks": {"missing": 0, "duplicated": 0, "strays": 0, "explained_duplicates": 0},
            "settle_s": 12.0, "longest_stall_s": 20.0}
    base.update(changes)
    return base


def test_the_bar() -> None:
    assert bar(result())["passed"]
    assert not bar(result(longest_stall_s=35.1))["passed"]
    assert not bar(result(settle_s=None))["passed"]  # never settled
    assert not bar(result(settle_s=61.0))["passed"]
    failed = bar(result(acks={"missing": 0, "duplicated": 0, "strays": 1}))
    assert failed["checks"]["acks_duplicated"] is False and not failed["passed"]
    assert not bar(result(mail={"missing": 1, "duplicated": 0}))["passed"]
    assert bar(result(acks={"missing": 0, "duplicated": 0, "strays": 0, "explained_duplicates": 3}))["passed"]
    assert not bar(result(acks={"missing": 0, "duplicated": 1, "strays": 0, "explained_duplicates": 3}))["passed"]
