"""Notifications out, end to end: triggers → outbox → the send use case → the Gmail simulator or a real SMTP relay.

Each exactly-once test runs on SQLite and on Firestore (emulator). Faults are real where they can be: the
simulator's sending-limit error and 5xx, a stopped relay; a crash is a BaseException thrown from a wrapped Mailbox
before or after Gmail accepted the mail, and the survivor runs with its clock past the crashed sender's lease.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socket
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from devstack.gmail_sim import GmailSimulator, SimServer
from devstack.relay_server import RelayServer
from gmail_tickets.adapters.smtp_relay import SmtpRelay
from gmail_tickets.domain.model import Attachment
from gmail_tickets.domain.outbox import RESENT_NOTE, Notification, NotificationState, SendWindow
from gmail_tickets.errors import RateLimited, TransientError
from gmail_tickets.services import accounts, mailbox_health
from gmail_tickets.services.agent_reply import reply_as_agent
from gmail_tickets.services.connect import connect_mailbox
from gmail_tickets.services.notifications import send_again
from gmail_tickets.services.send_notification import (
    SEND_LIMIT_WARNING,
    SendInProgress,
    SendRetry,
    send_event,
    send_notification,
)
from gmail_tickets.services.sweep import sweep
from gmail_tickets.services.sync_mailbox import sync_mailbox
from gmail_tickets.settings import Settings
from tests.integration.ingest_harness import SimulatedCrash, customer_mail
from tests.integration.send_harness import SUPPORT, CrashingSender, SendHarness


@pytest.fixture
def harness(sim: GmailSimulator, sim_server: SimServer, store, tmp_path: Path,  # type: ignore[no-untyped-def]
            relay: RelayServer) -> SendHarness:
    return SendHarness(sim, sim_server, store, tmp_path, relay)


def _calls(harness: SendHarness, method: str) -> int:
    return int(harness.sim.counters(SUPPORT)["methods"].get(method, {}).get("calls", 0))


def _event(notification_id: str) -> bytes:
    return json.dumps({"notification": notification_id}).encode()


# --------------------------------------------------------------------------- triggers and the mail itself


def test_new_ticket_is_acknowledged_via_gmail_threaded_for_the_customer(harness: SendHarness) -> None:
    ticket_id, customer_raw = harness.new_ticket("Printer on fire")
    note = harness.only_notification(ticket_id)
    assert note.state == NotificationState.QUEUED and note.event == "created"

    outcome = send_notification(harness.deps, note.id)

    assert (outcome.result, outcome.via) == ("sent", "gmail")
    assert harness.sent_copies() == {note.message_id: 1}
    sent = harness.sent_message(note.message_id)
    customer_id = customer_raw.split(b"Message-ID: <")[1].split(b">")[0].decode()
    assert sent["Subject"] == "Re: Printer on fire"
    assert sent["In-Reply-To"] == f"<{customer_id}>"
    assert f"<{customer_id}>" in sent["References"]
    assert sent["Auto-Submitted"] == "auto-replied" and sent["X-Auto-Response-Suppress"] == "All"
    assert sent["Reply-To"] == SUPPORT
    assert {p.get_content_type() for p in sent.walk()} >= {"text/plain", "text/html"}
    assert f"#{ticket_id}" in sent.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    ticket = harness.store.get_ticket(ticket_id)
    assert ticket is not None and harness.sent_summary(note.message_id)["threadId"] == ticket.gmail_thread_id
    assert harness.store.get_send_window(SUPPORT).sent(harness.clock.now()) == 1
    assert harness.store.get_notification(note.id).state == NotificationState.SENT  # type: ignore[union-attr]


def test_sent_mail_never_becomes_a_ticket_and_the_customers_answer_threads_back(harness: SendHarness) -> None:
    ticket_id, _ = harness.new_ticket("Where is my order?")
    note = harness.only_notification(ticket_id)
    send_notification(harness.deps, note.id)
    tickets_before = len(harness.store.list_tickets())

    sync_mailbox(harness.deps, SUPPORT)  # history now holds our SENT message
    assert len(harness.store.list_tickets()) == tickets_before
    assert not harness.store.ledger_contains(SUPPORT, [harness.sent_summary(note.message_id)["id"]])

    requester = harness.store.get_ticket(ticket_id).requester  # only a ticket's people can answer onto it
    answer = customer_mail(sender=requester).replace(
        b"Subject: Request", b"In-Reply-To: <" + note.message_id.encode() + b">\nSubject: Request")
    gmail_id = harness.deliver(answer)
    sync_mailbox(harness.deps, SUPPORT)
    entry = harness.store.atomically(lambda uow: uow.get_ledger(SUPPORT, gmail_id))
    assert entry is not None and entry.ticket_id == ticket_id and entry.outcome.value == "comment"


def test_agent_reply_goes_to_requester_and_followers_once(harness: SendHarness) -> None:
    ticket_id, _ = harness.new_ticket("Invoice", cc=["boss@example.net", SUPPORT])
    ack = harness.only_notification(ticket_id)
    send_notification(harness.deps, ack.id)

    comment = reply_as_agent(harness.deps, ticket_id, author="agent@example.com", body="It is on its way.")
    notes = [n for n in harness.pending(ticket_id) if n.event.startswith("reply:")]
    assert len(notes) == 1
    reply = notes[0]
    ticket = harness.store.get_ticket(ticket_id)
    assert ticket is not None
    assert reply.to == (ticket.requester,) and reply.cc == ("boss@example.net",)  # never our own address
    assert reply.message_id == comment.message_id and not reply.automatic
    for _ in range(3):
        send_event(harness.deps, _event(reply.id))
    assert harness.sent_copies()[reply.message_id] == 1
    sent = harness.sent_message(reply.message_id)
    assert "boss@example.net" in sent["Cc"] and sent["Auto-Submitted"] is None
    assert harness.store.get_send_window(SUPPORT).sent(harness.clock.now()) == 1 + 2  # ack + requester and follower


def test_no_acknowledgement_for_imported_or_suspended_mail(harness: SendHarness) -> None:
    sales = "sales@example.com"
    credentials = harness.sim.add_mailbox(sales)
    harness.deliver(customer_mail("old request", to=sales), sales)
    connect_mailbox(harness.deps, sales, credentials.refresh_token, import_recent=True, watch=False)  # the 300
    auto = customer_mail("Out of office").replace(b"Subject:", b"Auto-Submitted: auto-replied\nSubject:")
    harness.deliver(auto)
    sync_mailbox(harness.deps, SUPPORT)
    assert harness.store.list_tickets(connection=sales), "the import made a ticket"
    assert harness.store.list_suspended(), "the auto-reply was suspended"
    assert harness.pending() == []


# --------------------------------------------------------------------------- the route


@pytest.mark.parametrize(("already_sent", "expected"), [(6, "gmail"), (7, "gmail"), (8, "relay")],
                         ids=["limit-1", "limit", "limit+1"])
def test_the_switch_to_the_relay_is_exact_at_the_limit(harness: SendHarness, already_sent: int,
                                                        expected: str) -> None:
    """Limit 10; the acknowledgement plus a reply to requester + 2 followers bring 3 more recipients."""
    harness.deps.settings = Settings(send_limit=10)
    ticket_id, _ = harness.new_ticket("Boundary", cc=["a@example.net", "b@example.net"])
    hour = harness.clock.now().replace(minute=0, second=0, microsecond=0)
    harness.store.atomically(lambda uow: uow.put_send_window(SendWindow(SUPPORT, {hour: already_sent})))
    ack = harness.only_notification(ticket_id)
    harness.store.atomically(lambda uow: _drop(uow, ack.id))  # only the 3-recipient reply is under test
    reply_as_agent(harness.deps, ticket_id, author="agent", body="Hello all")
    reply = next(n for n in harness.pending(ticket_id) if n.event.startswith("reply:"))
    assert len(reply.recipients) == 3

    outcome = send_notification(harness.deps, reply.id)

    assert outcome.via == expected and outcome.result == "sent"
    if expected == "gmail":
        assert harness.sent_copies()[reply.message_id] == 1 and not harness.relay_copies()
    else:
        assert harness.relay_copies()[reply.message_id] == 1 and reply.message_id not in harness.sent_copies()
        assert "would pass the Gmail limit" in harness.store.get_notification(reply.id).route_reason  # type: ignore[union-attr]


def _drop(uow, notification_id: str) -> None:  # type: ignore[no-untyped-def]
    record = uow.get_notification(notification_id)
    record.state = NotificationState.SENT
    uow.put_notification(record)


def test_gmail_again_once_the_24_hour_window_frees(harness: SendHarness) -> None:
    harness.deps.settings = Settings(send_limit=5)
    first, _ = harness.new_ticket("one")
    second, _ = harness.new_ticket("two")
    full_hour = harness.clock.now().replace(minute=0, second=0, microsecond=0)
    harness.store.atomically(lambda uow: uow.put_send_window(SendWindow(SUPPORT, {full_hour: 5})))
    assert send_notification(harness.deps, harness.only_notification(first).id).via == "relay"
    row = next(r for r in mailbox_health.health(harness.deps) if r.address == SUPPORT)
    assert row.sends_24h == 5 and SEND_LIMIT_WARNING in row.warnings

    harness.clock.offset = timedelta(hours=25)  # the full hour has left the rolling window
    assert send_notification(harness.deps, harness.only_notification(second).id).via == "gmail"
    row = next(r for r in mailbox_health.health(harness.deps) if r.address == SUPPORT)
    assert row.sends_24h == 1 and SEND_LIMIT_WARNING not in row.warnings


def test_gmails_sending_limit_error_switches_to_the_relay_and_warns(harness: SendHarness) -> None:
    harness.sim.set_send_limit(SUPPORT, 1)  # Google's count, which ours does not see (e.g. web sends)
    tickets = [harness.new_ticket(f"req {i}")[0] for i in range(3)]
    notes = [harness.only_notification(t) for t in tickets]

    results = [send_notification(harness.deps, n.id) for n in notes[:2]]
    assert [r.via for r in results] == ["gmail", "relay"]
    assert "daily sending limit" in harness.store.get_notification(notes[1].id).route_reason  # type: ignore[union-attr]
    row = next(r for r in mailbox_health.health(harness.deps) if r.address == SUPPORT)
    assert SEND_LIMIT_WARNING in row.warnings
    blocked_until = harness.store.get_send_window(SUPPORT).blocked_until
    assert blocked_until is not None  # until Gmail's "Retry after": the first send leaves its window a day on
    assert timedelta(hours=23) < blocked_until - harness.clock.now() <= timedelta(days=1)

    sends_before = _calls(harness, "messages.send")
    assert send_notification(harness.deps, notes[2].id).via == "relay"  # no new probe of Gmail while blocked
    assert _calls(harness, "messages.send") == sends_before
    assert sum(harness.relay_copies().values()) == 2 and sum(harness.sent_copies().values()) == 1


def test_attachments_always_go_via_the_relay(harness: SendHarness) -> None:
    ticket_id, _ = harness.new_ticket("Need the form")
    send_notification(harness.deps, harness.only_notification(ticket_id).id)
    data = b"%PDF-1.4 the form\n"
    harness.deps.blobs.put("att/form", data, "application/pdf")
    reply_as_agent(harness.deps, ticket_id, author="agent", body="Form attached.",
                   attachments=[Attachment("form.pdf", "application/pdf", len(data), blob_key="att/form")])
    reply = next(n for n in harness.pending(ticket_id) if n.event.startswith("reply:"))

    outcome = send_notification(harness.deps, reply.id)

    assert outcome.via == "relay" and "attachments" in outcome.reason
    delivery = next(d for d in harness.relay.deliveries() if d.message_id == reply.message_id)
    assert data in delivery.content.replace(b"\r\n", b"\n") or b"JVBERi0xLjQgdGhlIGZvcm0K" in delivery.content
    assert delivery.tls and delivery.user == harness.relay.username
    assert reply.message_id not in harness.sent_copies()


# --------------------------------------------------------------------------- exactly once


def test_each_event_delivered_three_times_sends_one_mail(harness: SendHarness) -> None:
    ticket_id, _ = harness.new_ticket("Triple")
    note = harness.only_notification(ticket_id)
    results = [send_event(harness.deps, _event(note.id)) for _ in range(3)]
    assert [r.result for r in results if r] == ["sent", "duplicate", "duplicate"]
    assert harness.sent_copies() == {note.message_id: 1}


def test_three_instances_racing_on_one_event_send_one_mail(harness: SendHarness) -> None:
    ticket_id, _ = harness.new_ticket("Race")
    note = harness.only_notification(ticket_id)
    instances = [harness.new_instance() for _ in range(3)]
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def deliver(deps) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            outcomes.append(send_event(deps, _event(note.id)).result)  # type: ignore[union-attr]
        except SendInProgress:
            outcomes.append("busy")  # Pub/Sub would redeliver: then it is a duplicate

    threads = [threading.Thread(target=deliver, args=(d,)) for d in instances]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes.count("sent") == 1 and len(outcomes) == 3
    assert send_event(instances[0], _event(note.id)).result == "duplicate"  # type: ignore[union-attr]
    assert harness.sent_copies() == {note.message_id: 1}


@pytest.mark.parametrize("after_gmail_accepted", [True, False], ids=["after-accept", "before-accept"])
def test_a_crash_mid_send_still_sends_one_mail(harness: SendHarness, after_gmail_accepted: bool) -> None:
    ticket_id, _ = harness.new_ticket("Crash")
    note = harness.only_notification(ticket_id)
    crashing = harness.with_mailbox_wrapper(lambda m: CrashingSender(m, after_gmail_accepted))
    crashing.clock = harness.clock
    with pytest.raises(SimulatedCrash):
        send_notification(crashing, note.id)
    assert harness.store.get_notification(note.id).state == NotificationState.SENDING  # type: ignore[union-attr]

    with pytest.raises(SendInProgress):  # redelivered while the crashed sender's lease holds: wait
        send_notification(harness.new_instance(), note.id)
    survivor = harness.new_instance()
    settings = survivor.settings
    harness.clock.offset = timedelta(seconds=settings.send_lease_seconds + 1)
    with pytest.raises(SendInProgress):  # its lease lapsed, but a send just before it died may not show in SENT yet
        send_notification(survivor, note.id)
    harness.clock.offset = timedelta(seconds=settings.send_lease_seconds + settings.send_recheck_seconds)
    outcome = send_notification(survivor, note.id)

    assert outcome.result == "sent" and outcome.via == "gmail"
    assert harness.sent_copies() == {note.message_id: 1}
    if after_gmail_accepted:
        assert "found in SENT" in outcome.reason
    assert harness.store.get_send_window(SUPPORT).sent(harness.clock.now()) == 1


@pytest.mark.parametrize("gmail_sent_it", [True, False], ids=["5xx-after-sending", "5xx-before-sending"])
def test_an_unclear_gmail_answer_is_settled_by_searching_sent(harness: SendHarness, gmail_sent_it: bool) -> None:
    """A 5xx or a dropped connection may come after Gmail sent the mail: the retry must look before sending."""
    ticket_id, _ = harness.new_ticket("Flaky")
    note = harness.only_notification(ticket_id)
    if gmail_sent_it:
        deps = harness.with_mailbox_wrapper(lambda m: AnswerLost(m))
        deps.clock = harness.clock
    else:
        deps = harness.deps
        harness.sim.inject_faults(503, 1, method="messages.send")
    with pytest.raises(SendRetry):
        send_notification(deps, note.id)
    assert harness.store.get_notification(note.id).state == NotificationState.SENDING  # type: ignore[union-attr]
    with pytest.raises(SendInProgress):  # Gmail's search may not show it yet: wait before looking
        send_notification(harness.deps, note.id)

    harness.clock.offset = timedelta(seconds=harness.deps.settings.send_recheck_seconds + 1)
    outcome = send_notification(harness.deps, note.id)

    assert outcome.result == "sent" and harness.sent_copies() == {note.message_id: 1}
    assert ("found in SENT" in outcome.reason) == gmail_sent_it


class AnswerLost:
    """The real Mailbox; the send reaches Gmail, then the answer is lost (as a 502 from a proxy would be)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def send(self, raw: bytes, thread_id: str | None = None) -> Any:
        self.inner.send(raw, thread_id=thread_id)
        raise TransientError("Gmail messages.send: HTTP 502 backendError: Bad Gateway")


def test_a_sender_that_outlived_its_lease_changes_nothing(harness: SendHarness) -> None:
    """A slow sender (its lease lapsed mid-call) and the instance that took over: only one settles the record."""
    ticket_id, _ = harness.new_ticket("Slow")
    note = harness.only_notification(ticket_id)
    successor = harness.new_instance()

    class OvertakenThenRefused:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        def send(self, raw: bytes, thread_id: str | None = None) -> Any:
            settings = successor.settings
            harness.clock.offset = timedelta(seconds=settings.send_lease_seconds + settings.send_recheck_seconds + 1)
            assert send_notification(successor, note.id).result == "sent"  # took over and sent it
            raise RateLimited("Gmail messages.send: HTTP 429 rateLimitExceeded")

    slow = harness.with_mailbox_wrapper(OvertakenThenRefused)
    slow.clock = harness.clock
    assert send_notification(slow, note.id).result == "duplicate"  # its "retry later" is not written

    record = harness.store.get_notification(note.id)
    assert record is not None and record.state == NotificationState.SENT
    assert harness.sent_copies() == {note.message_id: 1}


def test_when_sent_cannot_be_searched_the_relay_takes_the_mail(harness: SendHarness) -> None:
    ticket_id, _ = harness.new_ticket("Revoked meanwhile")
    note = harness.only_notification(ticket_id)
    harness.sim.inject_faults(503, 1, method="messages.send")
    with pytest.raises(SendRetry):
        send_notification(harness.deps, note.id)
    harness.sim.revoke(SUPPORT)
    harness.clock.offset = timedelta(seconds=harness.deps.settings.send_recheck_seconds + 1)

    outcome = send_notification(harness.new_instance(), note.id)

    assert (outcome.result, outcome.via) == ("sent", "relay")
    assert harness.relay_copies() == {note.message_id: 1} and not harness.sent_copies()


def test_unusable_message_ids_are_left_out_not_fatal(harness: SendHarness) -> None:
    """Inbound ids without '@' are kept on the ticket, but cannot be repeated in our headers."""
    raw = customer_mail("Odd id").replace(b"Message-ID: <", b"Message-ID: <1234567.890>\nX-Old-Id: <", 1)
    gmail_id = harness.deliver(raw)
    sync_mailbox(harness.deps, SUPPORT)
    entry = harness.store.atomically(lambda uow: uow.get_ledger(SUPPORT, gmail_id))
    assert entry is not None and entry.ticket_id is not None
    ack = harness.only_notification(entry.ticket_id)
    assert ack.in_reply_to is None
    assert send_notification(harness.deps, ack.id).result == "sent"
    reply_as_agent(harness.deps, entry.ticket_id, author="agent", body="Still threads by our id.")
    reply = next(n for n in harness.pending(entry.ticket_id) if n.event.startswith("reply:"))
    assert send_notification(harness.deps, reply.id).result == "sent"


def test_gmail_failures_do_not_use_up_the_relays_retries(harness: SendHarness) -> None:
    ticket_id, _ = harness.new_ticket("Rate limited")
    note = harness.only_notification(ticket_id)
    harness.sim.inject_faults(429, 1000, method="messages.send")
    attempts = harness.deps.settings.send_max_attempts
    ceiling = timedelta(seconds=harness.deps.settings.send_retry_ceiling_seconds)
    for _ in range(attempts - 1):
        assert send_notification(harness.deps, note.id).result == "retrying"
        calls = _calls(harness, "messages.send")
        assert send_notification(harness.deps, note.id).result == "retrying"  # early: no attempt, no cut backoff
        assert _calls(harness, "messages.send") == calls
        harness.clock.offset += ceiling
    harness.relay.stop()
    # the last Gmail attempt hands it to the relay, which is down: retrying, on the relay's own budget
    assert send_notification(harness.deps, note.id).result == "retrying"
    record = harness.store.get_notification(note.id)
    assert record is not None and record.state == NotificationState.RETRYING and record.force_relay
    assert record.attempts == 1
    harness.relay.start()
    harness.clock.offset += ceiling

    assert send_notification(harness.deps, note.id).via == "relay"
    assert harness.relay_copies() == {note.message_id: 1} and not harness.sent_copies()


# --------------------------------------------------------------------------- the relay down: retried by time


def _sweep_and_send(harness: SendHarness) -> list[str]:
    """One run of the sweep; each notification it publishes is delivered to the send function (as Pub/Sub would)."""
    published = sweep(harness.deps).notifications_republished
    for record_id in published:
        assert send_event(harness.deps, _event(record_id)) is not None
    return published


def _next_attempt(harness: SendHarness, notification_id: str) -> datetime:
    record = harness.store.get_notification(notification_id)
    assert record is not None and record.next_attempt_at is not None
    return record.next_attempt_at


def _relay_only_acks(harness: SendHarness, count: int) -> list[Notification]:
    accounts.set_send_via_gmail(harness.deps, SUPPORT, False)
    return [harness.only_notification(harness.new_ticket(f"Outage {i}")[0]) for i in range(count)]


@pytest.mark.parametrize("outage", [timedelta(seconds=20), timedelta(hours=2)], ids=["20s", "2h"])
def test_a_relay_outage_delays_acknowledgements_but_loses_none(harness: SendHarness, outage: timedelta) -> None:
    """Finding 1 of issue 13: five attempts used to be spent in seconds, and the mail failed for good."""
    notes = _relay_only_acks(harness, 3)
    harness.relay.stop()
    for note in notes:  # the event is acked: no worker spins on the outage
        outcome = send_event(harness.deps, _event(note.id))
        assert outcome is not None and outcome.result == "retrying" and "relay" in outcome.reason
        record = harness.store.get_notification(note.id)
        assert record is not None and record.state == NotificationState.RETRYING
        assert record.next_attempt_at is not None and record.next_attempt_at > harness.clock.now()
    assert _sweep_and_send(harness) == []  # not due yet

    step = min(outage, timedelta(minutes=15))
    while harness.clock.offset + step <= outage:  # the sweep brings them back at the pace of their backoff
        harness.clock.offset += step
        _sweep_and_send(harness)
        for note in notes:
            record = harness.store.get_notification(note.id)
            assert record is not None and record.state == NotificationState.RETRYING, record
            assert record.next_attempt_at - harness.clock.now() <= timedelta(minutes=15)  # type: ignore[operator]
    harness.relay.start()
    harness.clock.offset += timedelta(minutes=15, seconds=1)  # the ceiling: every one of them is due
    assert sorted(_sweep_and_send(harness)) == sorted(n.id for n in notes)

    assert harness.relay_copies() == {n.message_id: 1 for n in notes}
    for note in notes:
        record = harness.store.get_notification(note.id)
        assert record is not None and record.state == NotificationState.SENT and record.next_attempt_at is None
        assert send_event(harness.deps, _event(note.id)).result == "duplicate"  # type: ignore[union-attr]
    assert _sweep_and_send(harness) == []
    assert harness.relay_copies() == {n.message_id: 1 for n in notes}


def test_each_sweep_publishes_a_bounded_batch_longest_due_first(harness: SendHarness) -> None:
    notes = _relay_only_acks(harness, 3)
    harness.deps.settings = dataclasses.replace(harness.deps.settings, outbox_retry_batch=2)
    harness.relay.stop()
    for note in notes:
        assert send_notification(harness.deps, note.id).result == "retrying"
    by_due = sorted(notes, key=lambda n: _next_attempt(harness, n.id))
    harness.clock.offset += timedelta(minutes=15, seconds=1)
    assert _sweep_and_send(harness) == [by_due[0].id, by_due[1].id]  # attempted again, still down: later
    assert _sweep_and_send(harness) == [by_due[2].id]  # the rest come with the next sweep
    assert _sweep_and_send(harness) == []
    harness.relay.start()
    harness.clock.offset += timedelta(minutes=15, seconds=1)
    assert len(_sweep_and_send(harness)) + len(_sweep_and_send(harness)) == 3
    assert harness.relay_copies() == {n.message_id: 1 for n in notes}


def test_past_the_retry_budget_it_fails_visibly_and_can_be_sent_again(harness: SendHarness) -> None:
    [note] = _relay_only_acks(harness, 1)
    harness.relay.stop()
    assert send_notification(harness.deps, note.id).result == "retrying"
    harness.clock.offset += timedelta(seconds=harness.deps.settings.send_retry_budget_seconds + 1)
    assert _sweep_and_send(harness) == [note.id]
    failed = harness.store.get_notification(note.id)
    assert failed is not None and failed.state == NotificationState.FAILED
    assert "The relay could not take the mail" in (failed.last_error or "")
    assert "gave up after retrying for 24 h" in (failed.last_error or "")
    assert harness.store.list_notifications(states=(NotificationState.FAILED,))[0].id == note.id
    assert _sweep_and_send(harness) == []  # failed is settled: nothing retries it but an admin

    harness.relay.start()
    send_again(harness.deps, note.id)
    assert send_notification(harness.deps, note.id).result == "sent"
    assert harness.relay_copies() == {note.message_id: 1}


@pytest.mark.parametrize(("reply", "result"), [("550 5.1.1 No such user", "failed"),
                                               ("450 4.2.1 Mailbox busy, try later", "retrying")],
                         ids=["5xx-permanent", "4xx-transient"])
def test_the_relays_answer_for_the_recipient_decides(harness: SendHarness, reply: str, result: str) -> None:
    [note] = _relay_only_acks(harness, 1)
    harness.relay.refuse(note.to[0], reply)
    outcome = send_notification(harness.deps, note.id)
    assert outcome.result == result and reply.split()[0] in outcome.reason
    record = harness.store.get_notification(note.id)
    assert record is not None and record.state == NotificationState(result) and record.attempts == 1
    assert not harness.relay_copies()


def test_an_unusable_address_fails_at_once(harness: SendHarness) -> None:
    [note] = _relay_only_acks(harness, 1)
    harness.store.atomically(lambda uow: _break_address(uow, note.id))
    outcome = send_notification(harness.deps, note.id)
    assert outcome.result == "failed" and "cannot be built" in outcome.reason
    assert not harness.relay_copies()


def _break_address(uow, notification_id: str) -> None:  # type: ignore[no-untyped-def]
    record = uow.get_notification(notification_id)
    record.to = ("not an address\r\nBcc: x@example.org",)
    uow.put_notification(record)


def test_lost_events_are_published_again_by_the_sweep(harness: SendHarness) -> None:
    from gmail_tickets.services.sweep import republish_notifications

    ticket_id, _ = harness.new_ticket("Lost event")
    note = harness.only_notification(ticket_id)
    assert republish_notifications(harness.deps) == []  # too fresh: its own event may still be on its way
    harness.clock.offset = timedelta(minutes=2)
    assert republish_notifications(harness.deps) == [note.id]

    crashed = harness.with_mailbox_wrapper(lambda m: CrashingSender(m, after_gmail_accepted=False))
    crashed.clock = harness.clock
    with pytest.raises(SimulatedCrash):
        send_notification(crashed, note.id)
    assert republish_notifications(harness.deps) == []  # held: its sender may still be at work
    settings = harness.deps.settings
    harness.clock.offset += timedelta(seconds=settings.send_lease_seconds + 1)
    assert republish_notifications(harness.deps) == []  # gone, but what it may have sent is not searchable yet
    harness.clock.offset += timedelta(seconds=settings.send_recheck_seconds)
    assert republish_notifications(harness.deps) == [note.id]  # the sender is gone: settle it


def test_a_relay_that_drops_after_the_whole_message_sends_it_again_with_one_message_id(harness: SendHarness) -> None:
    """The relay had every byte but never answered: it may or may not have taken it. Like every mail server, we
    send it again after the backoff with the SAME Message-ID (a duplicate the receiver collapses, never a loss),
    and the record says so."""
    [note] = _relay_only_acks(harness, 1)
    relay = harness.deps.relay
    with DroppingRelay() as dropping:
        harness.deps.relay = SmtpRelay("127.0.0.1", dropping.port, starttls=False, timeout=5.0)
        outcome = send_notification(harness.deps, note.id)
        assert outcome.result == "retrying" and "same Message-ID" in outcome.reason
        assert send_event(harness.deps, _event(note.id)).result == "retrying"  # type: ignore[union-attr]
        assert dropping.messages == 1
    harness.deps.relay = relay
    harness.clock.offset += timedelta(seconds=harness.deps.settings.send_retry_first_seconds + 1)
    assert _sweep_and_send(harness) == [note.id]
    record = harness.store.get_notification(note.id)
    assert record is not None and record.state == NotificationState.SENT
    assert (record.resent_after_interruption, record.interruption_note) == (1, RESENT_NOTE)
    assert harness.relay_copies() == {note.message_id: 1}  # the second copy, with the first one's Message-ID


@dataclasses.dataclass
class CrashingRelay:
    """The real relay; its next send dies (a BaseException, like the process dying) before or after the relay
    took the mail."""

    inner: Any
    after_relay_took_it: bool
    armed: bool = True

    def send(self, raw: bytes, sender: str, recipients: Any) -> None:
        if self.armed and not self.after_relay_took_it:
            self.armed = False
            raise SimulatedCrash("before the relay took the mail")
        self.inner.send(raw, sender, recipients)
        if self.armed:
            self.armed = False
            raise SimulatedCrash("after the relay took the mail")


@pytest.mark.parametrize(("after_relay_took_it", "copies"), [(False, 1), (True, 2)], ids=["before", "after"])
def test_a_sender_killed_while_handing_the_mail_to_the_relay_is_followed_by_a_resend(
        harness: SendHarness, after_relay_took_it: bool, copies: int) -> None:
    """Issue 13's soak: every such record used to be failed "it may or may not have gone out", and the relay had
    never got one. Now it goes again once the lease lapses: never lost; two copies with one Message-ID at worst,
    which the record explains."""
    [note] = _relay_only_acks(harness, 1)
    crashed = harness.new_instance()
    crashed.clock = harness.clock
    crashed.relay = CrashingRelay(harness.deps.relay, after_relay_took_it)
    with pytest.raises(SimulatedCrash):
        send_notification(crashed, note.id)
    with pytest.raises(SendInProgress):  # held for one lease: its sender may still be at work
        send_notification(harness.deps, note.id)
    settings = harness.deps.settings
    harness.clock.offset += timedelta(seconds=max(settings.send_lease_seconds,
                                                  settings.outbox_republish_after_seconds) + 1)
    assert _sweep_and_send(harness) == [note.id]  # the event died with its sender: the sweep brings it back
    record = harness.store.get_notification(note.id)
    assert record is not None and record.state == NotificationState.SENT and record.route == "relay"
    assert (record.resent_after_interruption, record.interruption_note) == (1, RESENT_NOTE)
    assert harness.relay_copies() == {note.message_id: copies}
    assert _sweep_and_send(harness) == []


class DroppingRelay:
    """A minimal SMTP server on a real socket that reads a whole message, then hangs up without answering."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.messages = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> DroppingRelay:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self._listener.accept()
                with conn, conn.makefile("rb") as lines:
                    conn.sendall(b"220 drop.test ESMTP\r\n")
                    for line in lines:
                        verb = line[:4].upper()
                        if verb in (b"EHLO", b"HELO"):
                            conn.sendall(b"250 drop.test\r\n")
                        elif verb == b"DATA":
                            conn.sendall(b"354 go ahead\r\n")
                            for body in lines:
                                if body == b".\r\n":
                                    break
                            self.messages += 1
                            break  # hang up: no 250, no error
                        else:
                            conn.sendall(b"250 ok\r\n")


def test_a_later_send_drops_the_hours_that_left_the_window(harness: SendHarness) -> None:
    """Send windows are pruned where they are written (no sweep walks them): the map stays bounded."""
    ticket_id, _ = harness.new_ticket("Counted")
    send_notification(harness.deps, harness.only_notification(ticket_id).id)
    assert harness.store.get_send_window(SUPPORT).sent(harness.clock.now()) == 1
    harness.clock.offset = timedelta(hours=26)

    later_id, _ = harness.new_ticket("Counted later")
    send_notification(harness.deps, harness.only_notification(later_id).id)

    window = harness.store.get_send_window(SUPPORT)
    assert list(window.buckets) == [harness.clock.now().replace(minute=0, second=0, microsecond=0)]
    assert window.sent(harness.clock.now()) == 1
