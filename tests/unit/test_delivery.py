"""Delivery's decision table, row by row, with plain values: the claim, each attempt's outcome, and the step's effect
on the record."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gmail_tickets.domain import delivery
from gmail_tickets.domain.attempt_outcomes import (
    AttachmentMissing,
    AttemptOutcome,
    FoundInSent,
    GmailSent,
    LimitReached,
    NoRelay,
    NotInSent,
    RefusedUnseen,
    Rejected,
    RelayPartlySent,
    RelayRefused,
    RelaySent,
    RelayTransient,
    RelayUncertain,
    Revoked,
    SearchRefused,
    SearchUnclear,
    Unbuildable,
    Unclear,
)
from gmail_tickets.domain.delivery import (
    ClaimAction,
    DeliveryRules,
    Fail,
    RecheckLater,
    Reroute,
    RetryLater,
    SettleSent,
    ToRelay,
    claim_action,
    gmail_blocked_until,
    next_step,
    settle,
)
from gmail_tickets.domain.outbox import RESENT_NOTE, Notification, NotificationState
from gmail_tickets.domain.routing import Route

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
RULES = DeliveryRules(max_attempts=5, lease=timedelta(seconds=30), recheck=timedelta(minutes=1),
                      limit_block=timedelta(hours=1))
SUPPORT = "support@example.com"


def note(**overrides: Any) -> Notification:
    """A record held by "s1" on the Gmail route after its first attempt, with the named fields changed."""
    fields: dict[str, Any] = {
        "id": "t1-created-abc", "ticket_id": 1, "event": "created", "connection": SUPPORT,
        "from_address": SUPPORT, "to": ("customer@example.org",), "subject": "Re: Help", "text": "Hello",
        "message_id": "m1@example.com", "state": NotificationState.SENDING, "route": "gmail",
        "route_reason": "Within the Gmail limit: 1 of 500 recipients in 24 h.", "attempts": 1, "holder": "s1",
        "lease_until": NOW + RULES.lease,
    }
    fields.update(overrides)
    return Notification(**fields)


def step(outcome: AttemptOutcome, **record: Any) -> delivery.Step:
    return next_step(note(**record), outcome, RULES, NOW)


# --------------------------------------------------------------------------- the claim


@pytest.mark.parametrize(("record", "action"), [
    ({"state": NotificationState.SENT}, ClaimAction.DUPLICATE),
    ({"state": NotificationState.FAILED}, ClaimAction.DUPLICATE),
    ({"state": NotificationState.QUEUED, "holder": None, "lease_until": None}, ClaimAction.ROUTE),
    ({"lease_until": NOW + timedelta(seconds=1)}, ClaimAction.BUSY),
    ({"lease_until": NOW}, ClaimAction.SEARCH_SENT),  # the lease lapses at its end
    ({"lease_until": NOW - timedelta(minutes=1)}, ClaimAction.SEARCH_SENT),
    ({"lease_until": None}, ClaimAction.SEARCH_SENT),
    ({"route": "relay", "lease_until": NOW - timedelta(minutes=1)}, ClaimAction.RESEND),
    ({"route": "relay", "lease_until": NOW, "resent_after_interruption": delivery.MOST_RESENDS - 1},
     ClaimAction.RESEND),
    ({"route": "relay", "lease_until": NOW, "resent_after_interruption": delivery.MOST_RESENDS},
     ClaimAction.FAIL_UNKNOWN),
    ({"route": "relay", "lease_until": NOW + timedelta(minutes=1)}, ClaimAction.BUSY),
    ({"state": NotificationState.RETRYING, "holder": None, "lease_until": None,
      "next_attempt_at": NOW + timedelta(seconds=1)}, ClaimAction.NOT_DUE),
    ({"state": NotificationState.RETRYING, "holder": None, "lease_until": None, "next_attempt_at": NOW},
     ClaimAction.ROUTE),
], ids=["sent", "failed", "queued", "held", "lease-ends-now", "lease-lapsed", "no-lease", "relay-sender-vanished",
        "relay-sender-vanished-again", "relay-sender-vanished-too-often", "relay-held", "retrying-not-due",
        "retrying-due"])
def test_the_claim(record: dict[str, Any], action: ClaimAction) -> None:
    assert claim_action(note(**record), NOW) is action


# --------------------------------------------------------------------------- Gmail's answers


def test_gmail_sent_it_counted_then_settled() -> None:
    assert step(GmailSent("g1")) == SettleSent(gmail_message_id="g1", count_gmail_sends=True,
                                               reason=note().route_reason)


@pytest.mark.parametrize(("retry_at", "until"), [
    (None, NOW + timedelta(hours=1)),  # no time named: the configured block
    (NOW + timedelta(hours=5), NOW + timedelta(hours=5)),  # Gmail's own time
    (NOW + timedelta(seconds=5), NOW + timedelta(minutes=1)),  # too soon: at least a minute
    (NOW - timedelta(hours=1), NOW + timedelta(minutes=1)),  # already past: at least a minute
    (NOW + timedelta(days=3), NOW + timedelta(days=1)),  # too far: at most a day
])
def test_gmails_limit_error_blocks_gmail_for_a_bounded_while_and_hands_the_mail_to_the_relay(
        retry_at: datetime | None, until: datetime) -> None:
    assert step(LimitReached(retry_at)) == ToRelay(delivery.LIMIT_REACHED, block_gmail_until=until)
    assert gmail_blocked_until(retry_at, RULES, NOW) == until


def test_a_rate_limit_retries_it_after_the_backoff() -> None:
    s = step(RefusedUnseen("429"), attempts=4)
    assert isinstance(s, RetryLater) and s.error == "Gmail is rate limiting: 429"
    assert NOW + timedelta(seconds=120) <= s.at <= NOW + timedelta(seconds=240)  # 30 s doubled 3 times, jittered


def test_a_rate_limit_on_the_last_attempt_hands_it_to_the_relay() -> None:
    assert step(RefusedUnseen("429"), attempts=5) == ToRelay("Gmail kept failing (5 attempts): Gmail is rate "
                                                             "limiting: 429")


@pytest.mark.parametrize("attempts", [1, 5, 9])
def test_an_unclear_answer_holds_it_until_sent_can_be_searched_whatever_the_attempts(attempts: int) -> None:
    assert step(Unclear("502"), attempts=attempts) == RecheckLater("Gmail did not answer clearly: 502")


def test_a_revoked_token_disconnects_the_account_and_hands_it_to_the_relay() -> None:
    assert step(Revoked("invalid_grant")) == ToRelay(
        f"Google access to {SUPPORT} was revoked; the relay took it.",
        disconnect="Google access was revoked: invalid_grant")


def test_any_other_refusal_hands_it_to_the_relay() -> None:
    assert step(Rejected("400 invalid to")) == ToRelay("Gmail refused the mail: 400 invalid to")


# --------------------------------------------------------------------------- the SENT search after an interruption


def test_found_in_sent_counted_then_settled() -> None:
    assert step(FoundInSent("g2"), attempts=2) == SettleSent(gmail_message_id="g2", count_gmail_sends=True,
                                                             reason=delivery.FOUND_IN_SENT)


@pytest.mark.parametrize(("attempts", "expected"), [
    (5, Reroute()),  # the search runs one count above Gmail's 4 attempts: Gmail may try once more
    (6, ToRelay("Gmail kept failing (5 attempts); the mail is not in SENT.")),
])
def test_not_in_sent(attempts: int, expected: delivery.Step) -> None:
    assert step(NotInSent(), attempts=attempts) == expected


@pytest.mark.parametrize(("attempts", "expected"), [
    (5, RecheckLater("could not search SENT: 503")),
    (6, ToRelay("Gmail kept failing (5 attempts), and its SENT folder could not be searched: 503")),
])
def test_sent_cannot_be_searched_for_now(attempts: int, expected: delivery.Step) -> None:
    assert step(SearchUnclear("503"), attempts=attempts) == expected


def test_sent_cannot_be_searched_for_good_hands_it_to_the_relay() -> None:
    assert step(SearchRefused("revoked")) == ToRelay(
        "Gmail's SENT folder could not be searched after an interrupted send (revoked); sent through the relay "
        "instead.")


# --------------------------------------------------------------------------- the relay's answers


def relay_step(outcome: AttemptOutcome, **record: Any) -> delivery.Step:
    return step(outcome, route="relay", route_reason="The mail has attachments.", **record)


def test_relay_sent_it() -> None:
    assert relay_step(RelaySent()) == SettleSent(reason="The mail has attachments.")


def test_relay_refused_some_recipients_is_sent_with_them_noted() -> None:
    noted = "Delivered, but the relay refused some recipients: x@example.org 550"
    assert relay_step(RelayPartlySent("x@example.org 550")) == SettleSent(note=noted, reason=noted)


@pytest.mark.parametrize(("attempts", "first_failed_at"), [
    (1, None),  # the first failure starts the budget now
    (5, NOW - timedelta(minutes=2)),  # the old attempt limit means nothing any more
    (120, NOW - timedelta(hours=23, minutes=59)),  # within the day
], ids=["first-failure", "fifth-attempt", "a-day-nearly-spent"])
def test_relay_transient_retries_it_while_the_budget_lasts(attempts: int, first_failed_at: datetime | None) -> None:
    s = relay_step(RelayTransient("421"), attempts=attempts, first_failed_at=first_failed_at)
    assert isinstance(s, RetryLater) and s.error == "The relay could not take the mail: 421"
    assert NOW < s.at <= NOW + RULES.retry_ceiling


@pytest.mark.parametrize(("spent", "words"), [(timedelta(hours=24), "24 h 0 min"),
                                               (timedelta(hours=30, minutes=5), "30 h 5 min")])
def test_relay_transient_past_the_budget_fails_it_with_the_reason(spent: timedelta, words: str) -> None:
    assert relay_step(RelayTransient("421"), attempts=97, first_failed_at=NOW - spent) == Fail(
        f"The relay could not take the mail: 421 (gave up after retrying for {words}, 97 attempt(s) on this route)")


def test_the_budget_is_a_setting() -> None:
    short = dataclasses.replace(RULES, retry_budget=timedelta(minutes=10))
    n = note(route="relay", attempts=3, first_failed_at=NOW - timedelta(minutes=10, seconds=1))
    assert next_step(n, RelayTransient("421"), short, NOW) == Fail(
        "The relay could not take the mail: 421 (gave up after retrying for 10 min 1 s, 3 attempt(s) on this "
        "route)")


@pytest.mark.parametrize(("attempts", "full"), [(1, 30), (2, 60), (3, 120), (5, 480), (6, 900), (7, 900), (400, 900)])
def test_the_backoff_doubles_to_the_ceiling_jittered_down_by_at_most_half(attempts: int, full: int) -> None:
    waits = {delivery.backoff(note(id=f"t{i}-created-x", attempts=attempts), RULES) for i in range(20)}
    assert all(timedelta(seconds=full / 2) <= w <= timedelta(seconds=full) for w in waits)
    assert len(waits) > 10  # the records of one outage spread out
    assert delivery.backoff(note(attempts=attempts), RULES) == delivery.backoff(note(attempts=attempts), RULES)


def test_relay_refusal_fails_it_at_once() -> None:
    assert relay_step(RelayRefused("554"), attempts=1) == Fail("The relay refused the mail: 554")


@pytest.mark.parametrize(("attempts", "resent"), [(1, 0), (4, 2), (9, delivery.MOST_RESENDS - 1)])
def test_relay_outcome_unknown_sends_it_again_after_the_backoff_and_counts_the_resend(attempts: int,
                                                                                        resent: int) -> None:
    s = relay_step(RelayUncertain("connection lost"), attempts=attempts, resent_after_interruption=resent)
    assert s == RetryLater("connection lost; it goes again with the same Message-ID",
                           at=NOW + delivery.backoff(note(attempts=attempts), RULES), resend=True)


def test_relay_outcome_unknown_past_the_budget_fails_it_with_the_reason() -> None:
    s = relay_step(RelayUncertain("lost"), attempts=50, first_failed_at=NOW - timedelta(hours=25))
    assert isinstance(s, Fail) and s.error.startswith("lost; it goes again with the same Message-ID (gave up after")


def test_relay_outcome_unknown_after_the_most_resends_fails_it_visibly() -> None:
    s = relay_step(RelayUncertain("lost"), resent_after_interruption=delivery.MOST_RESENDS)
    assert s == Fail(f"lost. {delivery.UNKNOWN_RELAY_OUTCOME}")


def test_no_relay_configured_fails_it_with_the_reason_gmail_could_not_take_it() -> None:
    assert relay_step(NoRelay()) == Fail("No mail relay is configured, and this mail cannot go via Gmail: The mail "
                                         "has attachments.")


def test_a_missing_attachment_fails_it() -> None:
    assert relay_step(AttachmentMissing("'att/1'")) == Fail("An attachment is missing from storage: 'att/1'")


@pytest.mark.parametrize("route", ["gmail", "relay"])
def test_a_mail_that_cannot_be_built_fails_on_either_route(route: str) -> None:
    assert step(Unbuildable("bad address"), route=route) == Fail("The mail cannot be built: bad address")


# --------------------------------------------------------------------------- the loop ends


ALL_OUTCOMES: dict[str, list[AttemptOutcome]] = {
    "gmail": [GmailSent("g"), LimitReached(None), RefusedUnseen("e"), Unclear("e"), Revoked("e"), Rejected("e"),
              Unbuildable("e")],
    "search": [FoundInSent("g"), NotInSent(), SearchUnclear("e"), SearchRefused("e")],
    "relay": [RelaySent(), RelayPartlySent("e"), RelayTransient("e"), RelayRefused("e"), RelayUncertain("e"),
              NoRelay(), AttachmentMissing("e"), Unbuildable("e")],
}


@pytest.mark.parametrize("attempts", [1, 5, 6])
def test_hand_overs_lead_away_so_one_call_makes_at_most_three_attempts(attempts: int) -> None:
    """A SENT search may reroute (then Gmail or the relay), Gmail may hand over to the relay, the relay never hands
    over: so a call never comes back to where it was."""
    for kind, outcomes in ALL_OUTCOMES.items():
        for outcome in outcomes:
            s = step(outcome, attempts=attempts, route="relay" if kind == "relay" else "gmail")
            if kind == "relay":
                assert not delivery.is_hand_over(s), outcome
            if isinstance(s, Reroute):
                assert kind == "search", outcome


# --------------------------------------------------------------------------- each step's effect on the record


def settled(s: delivery.Step, route: Route | None = None, **record: Any) -> Notification:
    n = note(**record)
    settle(n, s, rules=RULES, now=NOW, route=route)
    return n


def test_settle_sent() -> None:
    n = settled(SettleSent(gmail_message_id="g1", count_gmail_sends=True, reason="r"), last_error="old")
    assert (n.state, n.gmail_message_id, n.sent_at, n.last_error, n.holder, n.lease_until) == (
        NotificationState.SENT, "g1", NOW, None, None, None)
    assert settled(SettleSent(note="refused x"), route="relay").last_error == "refused x"


def test_settle_retry_later_releases_the_record_until_its_next_attempt() -> None:
    at = NOW + timedelta(seconds=30)
    n = settled(RetryLater("429", at=at))
    assert (n.state, n.last_error, n.holder, n.lease_until, n.attempts, n.next_attempt_at, n.first_failed_at) == (
        NotificationState.RETRYING, "429", None, None, 1, at, NOW)
    earlier = NOW - timedelta(hours=2)
    assert settled(RetryLater("421", at=at), first_failed_at=earlier).first_failed_at == earlier  # budget kept


def test_settle_retry_later_after_an_uncertain_relay_counts_a_resend_and_the_record_says_so() -> None:
    n = settled(RetryLater("lost", at=NOW + timedelta(seconds=30), resend=True), route="relay",
                resent_after_interruption=1)
    assert (n.state, n.resent_after_interruption, n.interruption_note) == (
        NotificationState.RETRYING, 2, RESENT_NOTE)
    assert settled(RetryLater("421", at=NOW)).interruption_note is None  # a plain retry is no resend


def test_a_vanished_relay_sender_is_claimed_again_on_the_relay_counted_and_noted_until_it_is_sent() -> None:
    n = note(route="relay", lease_until=NOW - timedelta(seconds=1), attempts=2, holder="gone")
    assert claim_action(n, NOW) is ClaimAction.RESEND
    n.resend_after_interruption(holder="s2", now=NOW, lease=RULES.lease)
    assert (n.state, n.route, n.holder, n.lease_until, n.attempts, n.resent_after_interruption, n.first_failed_at,
            n.last_error, n.message_id) == (NotificationState.SENDING, "relay", "s2", NOW + RULES.lease, 3, 1, NOW,
                                            RESENT_NOTE, "m1@example.com")
    settle(n, SettleSent(reason="r"), rules=RULES, now=NOW)
    assert (n.state, n.last_error, n.interruption_note) == (NotificationState.SENT, None, RESENT_NOTE)


def test_a_retrying_record_is_claimed_afresh_and_its_next_attempt_time_cleared() -> None:
    n = note(state=NotificationState.RETRYING, holder=None, lease_until=None, next_attempt_at=NOW,
             first_failed_at=NOW - timedelta(hours=1), attempts=3, route="relay")
    assert claim_action(n, NOW) is ClaimAction.ROUTE
    n.claim("relay", "r", holder="s2", now=NOW, lease=RULES.lease)
    assert (n.state, n.attempts, n.next_attempt_at, n.first_failed_at) == (
        NotificationState.SENDING, 4, None, NOW - timedelta(hours=1))


def test_failing_or_sending_again_ends_the_retries() -> None:
    n = note(state=NotificationState.RETRYING, next_attempt_at=NOW, first_failed_at=NOW)
    n.fail("gave up", NOW)
    assert n.next_attempt_at is None and n.first_failed_at == NOW
    n.requeue(NOW)  # an admin's "Send again": a fresh budget
    assert (n.state, n.next_attempt_at, n.first_failed_at, n.attempts) == (NotificationState.QUEUED, None, None, 0)


def test_settle_recheck_later_ends_the_hold_now_and_sent_is_searched_a_search_lag_later() -> None:
    n = settled(RecheckLater("502"))
    assert (n.state, n.holder, n.lease_until, n.last_error, n.updated_at) == (
        NotificationState.SENDING, "s1", NOW, "502", NOW)
    assert claim_action(n, NOW + RULES.recheck - timedelta(seconds=1), search_lag=RULES.recheck) is ClaimAction.BUSY
    assert claim_action(n, NOW + RULES.recheck, search_lag=RULES.recheck) is ClaimAction.SEARCH_SENT


@pytest.mark.parametrize(("lapsed", "action"), [
    (timedelta(0), ClaimAction.BUSY),
    (timedelta(seconds=59), ClaimAction.BUSY),
    (timedelta(seconds=60), ClaimAction.SEARCH_SENT),
])
def test_a_vanished_gmail_sender_is_searched_for_only_once_its_last_send_could_show(lapsed: timedelta,
                                                                                    action: ClaimAction) -> None:
    """It may have sent the mail up to the end of its lease: Gmail's search shows it only a while later."""
    n = note(lease_until=NOW - lapsed)
    assert claim_action(n, NOW, search_lag=timedelta(seconds=60)) is action


def test_the_heartbeat_extends_a_claim_never_shortens_it() -> None:
    n = note(lease_until=NOW + timedelta(seconds=20))
    n.extend_lease(NOW + timedelta(seconds=10))
    assert n.lease_until == NOW + timedelta(seconds=20)
    n.extend_lease(NOW + timedelta(seconds=40))
    assert n.lease_until == NOW + timedelta(seconds=40)


def test_settle_fail() -> None:
    n = settled(Fail("refused"))
    assert (n.state, n.last_error, n.holder, n.lease_until) == (NotificationState.FAILED, "refused", None, None)


def test_settle_to_relay_starts_the_relays_own_count_under_a_fresh_lease() -> None:
    n = settled(ToRelay("Gmail refused the mail: 400"), attempts=5)
    assert (n.state, n.route, n.route_reason, n.force_relay, n.attempts, n.holder, n.lease_until) == (
        NotificationState.SENDING, "relay", "Gmail refused the mail: 400", True, 1, "s1", NOW + RULES.lease)


def test_settle_reroute_takes_the_route_chosen_for_it() -> None:
    n = settled(Reroute(), Route("relay", "Sending via Gmail is turned off for this connection."), attempts=3)
    assert (n.state, n.route, n.route_reason, n.force_relay, n.attempts, n.holder, n.lease_until) == (
        NotificationState.SENDING, "relay", "Sending via Gmail is turned off for this connection.", False, 3, "s1",
        NOW + RULES.lease)
    with pytest.raises(ValueError):
        settled(Reroute())


@pytest.mark.parametrize(("record", "holder", "held"), [
    ({}, "s1", True),
    ({}, "s2", False),  # another sender took it over
    ({"state": NotificationState.SENT, "holder": None}, None, False),
    ({"state": NotificationState.QUEUED, "holder": "s1"}, "s1", False),  # queued again meanwhile
])
def test_only_the_holder_of_a_record_being_sent_may_settle_it(record: dict[str, Any], holder: str | None,
                                                               held: bool) -> None:
    assert note(**record).held_by(holder) is held


def test_steps_are_plain_values() -> None:
    """Frozen, so a decided step cannot be changed on its way to being applied."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        Fail("x").error = "y"  # type: ignore[misc]
