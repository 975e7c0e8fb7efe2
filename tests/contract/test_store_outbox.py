"""Contract: the outbox and the send windows (domain/outbox.py), and the ticket and brand fields outbound mail
reads (a ticket's Gmail thread, a brand's acknowledgement text).

A notification is created in the same transaction as the event that owes it, and every step of its delivery
is a transaction on the record, so a store must keep it whole (a retry rebuilds the same mail from it), commit
it with its event or not at all, and list it in the order the console shows. A send window is a counter updated
by read-modify-write: a lost update would let us send past Gmail's daily limit.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gmail_tickets.adapters import records
from gmail_tickets.domain.model import Brand, Ticket
from gmail_tickets.domain.outbox import AttachmentRef, Notification, NotificationState, SendWindow, notification_id
from gmail_tickets.ports import Store, UnitOfWork

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
CEST = timezone(timedelta(hours=2))
HELP = "help@acme.test"
ANN = "ann@customer.test"

QUEUED, SENDING, SENT, FAILED = (NotificationState.QUEUED, NotificationState.SENDING, NotificationState.SENT,
                                 NotificationState.FAILED)


class Boom(Exception):
    pass


def _minimal(ticket_id: int = 7, event: str = "created", *, to: tuple[str, ...] = (ANN,),
             state: NotificationState = QUEUED, created_at: datetime | None = None) -> Notification:
    return Notification(
        id=notification_id(ticket_id, event, to), ticket_id=ticket_id, event=event, connection=HELP,
        from_address=HELP, to=to, subject="[#7] Printer on fire", text="We got your request.",
        message_id=f"t{ticket_id}.{event}.sig@acme.test", state=state, created_at=created_at,
    )


def _full() -> Notification:
    to = (ANN, "bob@customer.test")
    return Notification(
        id=notification_id(7, "reply:c-42", (*to, "carol@customer.test")),
        ticket_id=7,
        event="reply:c-42",
        connection=HELP,
        from_address=HELP,
        from_name="Acme Support",
        to=to,
        cc=("carol@customer.test",),
        reply_to="reply+t7@acme.test",
        subject="Re: [#7] Printer on fire",
        text="Unplug it.\n\nÀ bientôt ✓",
        html="<p>Unplug it.</p><p>À bientôt ✓</p>",
        message_id="t7.reply-c-42.sig@acme.test",
        in_reply_to="m2@customer.test",
        references=("m1@customer.test", "m2@customer.test"),
        automatic=False,
        attachments=(
            AttachmentRef("manual.pdf", "application/pdf", 123_456, "attachments/aa11"),
            AttachmentRef("wiring.png", "image/png", 789, "attachments/bb22"),
        ),
        gmail_thread_id="18f0c0ffee",
        state=SENDING,
        route="relay",
        route_reason="gmail limit reached",
        force_relay=True,
        attempts=3,
        last_error="421 try later",
        holder="worker-1",
        lease_until=datetime(2024, 5, 17, 11, 35, 0, 1, tzinfo=CEST),  # stored as the same instant
        created_at=T0,
        updated_at=T0 + timedelta(minutes=5),
        sent_at=T0 + timedelta(minutes=6),
        gmail_message_id="18f0c0ffee01",
    )


def _put(store: Store, *notifications: Notification) -> None:
    def work(uow: UnitOfWork) -> None:
        for n in notifications:
            uow.put_notification(n)

    store.atomically(work)


def _assert_utc(*values: datetime | None) -> None:
    for value in values:
        assert value is not None
        assert value.utcoffset() == timedelta(0), value


# --------------------------------------------------------------------------- one notification


def test_notification_round_trips_every_field(store: Store) -> None:
    stored = _full()
    _put(store, stored)

    got = store.get_notification(stored.id)
    in_unit = store.atomically(lambda uow: uow.get_notification(stored.id))

    assert got == stored and in_unit == stored
    assert isinstance(got.state, NotificationState)
    assert isinstance(got.to, tuple) and isinstance(got.cc, tuple) and isinstance(got.references, tuple)
    assert isinstance(got.attachments, tuple) and isinstance(got.attachments[0], AttachmentRef)
    _assert_utc(got.lease_until, got.created_at, got.updated_at, got.sent_at)


def test_notification_with_only_the_required_fields_round_trips_its_defaults(store: Store) -> None:
    stored = _minimal()
    _put(store, stored)

    got = store.get_notification(stored.id)

    assert got == stored
    assert got.cc == () and got.attachments == () and got.references == ()
    assert got.html is None and got.created_at is None and got.route is None and got.gmail_thread_id is None
    assert got.state is QUEUED and got.automatic is True and got.attempts == 0


def test_put_notification_replaces_the_record_with_the_same_id(store: Store) -> None:
    first = _minimal(created_at=T0)
    _put(store, first)

    def claim(uow: UnitOfWork) -> None:
        n = uow.get_notification(first.id)
        assert n is not None
        n.claim("gmail", "within limit", holder="worker-1", now=T0 + timedelta(seconds=1), lease=timedelta(minutes=2))
        uow.put_notification(n)

    store.atomically(claim)

    got = store.get_notification(first.id)
    assert got is not None
    assert (got.state, got.route, got.attempts, got.holder) == (SENDING, "gmail", 1, "worker-1")
    assert got.lease_until == T0 + timedelta(seconds=1, minutes=2)
    # replaced, not added: listed once, under its new state only
    assert [n.id for n in store.list_notifications()] == [first.id]
    assert store.list_notifications(states=[QUEUED]) == []
    assert store.list_notifications(states=[SENDING]) == [got]


def test_a_missing_notification_is_none(store: Store) -> None:
    assert store.get_notification("t1-created-0000000000000000") is None
    assert store.atomically(lambda uow: uow.get_notification("t1-created-0000000000000000")) is None


def test_notification_writes_are_counted(store: Store) -> None:
    window = SendWindow(HELP)
    window.record(T0, 2)
    before = store.write_count

    _put(store, _minimal())
    store.atomically(lambda uow: uow.put_send_window(window))

    assert store.write_count - before == 2


# --------------------------------------------------------------------------- with its event


def test_notification_commits_with_the_ticket_that_owes_it(store: Store) -> None:
    def work(uow: UnitOfWork) -> tuple[int, Notification]:
        ticket_id = uow.add_ticket(Ticket("Printer on fire", ANN, HELP, created_at=T0, gmail_thread_id="th-1"))
        ack = _minimal(ticket_id, created_at=T0)
        uow.put_notification(ack)
        return ticket_id, ack

    ticket_id, ack = store.atomically(work)

    assert store.get_ticket(ticket_id) is not None
    assert store.get_notification(ack.id) == ack
    assert store.list_notifications(ticket_id=ticket_id) == [ack]


def test_a_failing_unit_stores_neither_the_ticket_nor_its_notification(store: Store) -> None:
    seen: list[tuple[int, str]] = []

    def work(uow: UnitOfWork) -> None:
        ticket_id = uow.add_ticket(Ticket("Printer on fire", ANN, HELP, created_at=T0))
        ack = _minimal(ticket_id, created_at=T0)
        uow.put_notification(ack)
        seen.append((ticket_id, ack.id))
        raise Boom("the event failed after the writes")

    with pytest.raises(Boom):
        store.atomically(work)

    ticket_id, ack_id = seen[-1]
    assert store.get_ticket(ticket_id) is None and store.list_tickets() == []
    assert store.get_notification(ack_id) is None and store.list_notifications() == []


def test_two_workers_claiming_one_notification_one_wins(store: Store) -> None:
    """The claim is a read-modify-write in one transaction: a redelivered event racing the first one loses."""
    queued = _minimal(created_at=T0)
    _put(store, queued)
    start = threading.Barrier(2)

    def claim(worker: str) -> bool:
        def work(uow: UnitOfWork) -> bool:
            n = uow.get_notification(queued.id)
            assert n is not None
            if n.state is not QUEUED:
                return False
            n.claim("gmail", "within limit", holder=worker, now=T0, lease=timedelta(minutes=2))
            uow.put_notification(n)
            return True

        start.wait(timeout=10)
        return store.atomically(work)

    with ThreadPoolExecutor(max_workers=2) as pool:
        won = dict(zip(["w1", "w2"], pool.map(claim, ["w1", "w2"]), strict=True))

    assert sorted(won.values()) == [False, True]
    got = store.get_notification(queued.id)
    assert got is not None and got.attempts == 1 and won[got.holder or ""]


# --------------------------------------------------------------------------- listing


@pytest.fixture
def outbox(store: Store) -> dict[str, Notification]:
    """Two tickets' notifications in every state, at distinct times, stored out of order; one without a time
    and two sharing a time (ties go to the id, descending)."""
    minute = timedelta(minutes=1)
    records = {
        "7-ack": _minimal(7, "created", state=SENT, created_at=T0),
        "8-ack": _minimal(8, "created", state=SENT, created_at=T0 + minute),
        "7-r1": _minimal(7, "reply:c-1", state=FAILED, created_at=T0 + 2 * minute),
        "7-r1-bob": _minimal(7, "reply:c-1", to=("bob@customer.test",), state=QUEUED, created_at=T0 + 2 * minute),
        "8-r1": _minimal(8, "reply:c-2", state=SENDING, created_at=T0 + 3 * minute),
        "7-r2": _minimal(7, "reply:c-3", state=QUEUED, created_at=T0 + 4 * minute),
        "8-old": _minimal(8, "reply:c-0", state=QUEUED, created_at=None),
    }
    _put(store, *reversed(records.values()))
    return records


def _newest_first(records: dict[str, Notification], *names: str) -> list[str]:
    """The expected order, computed the way the contract states it."""
    chosen = [records[n] for n in names]
    chosen.sort(key=lambda n: (n.created_at is not None, n.created_at or T0, n.id), reverse=True)
    return [next(k for k, v in records.items() if v is n) for n in chosen]


def _names(records: dict[str, Notification], got: list[Notification]) -> list[str]:
    by_id = {n.id: name for name, n in records.items()}
    return [by_id[n.id] for n in got]


def test_list_notifications_newest_first_without_filters(store: Store, outbox: dict[str, Notification]) -> None:
    got = store.list_notifications()

    assert _names(outbox, got) == _newest_first(outbox, *outbox)
    assert _names(outbox, got)[0] == "7-r2" and _names(outbox, got)[-1] == "8-old"  # no time: last
    assert got[0] == outbox["7-r2"]  # whole records, not just ids


def test_list_notifications_by_states(store: Store, outbox: dict[str, Notification]) -> None:
    assert _names(outbox, store.list_notifications(states=[QUEUED])) == _newest_first(
        outbox, "7-r1-bob", "7-r2", "8-old")
    assert _names(outbox, store.list_notifications(states=[QUEUED, SENDING, FAILED])) == _newest_first(
        outbox, "7-r1", "7-r1-bob", "8-r1", "7-r2", "8-old")
    assert _names(outbox, store.list_notifications(states=(SENT,))) == ["8-ack", "7-ack"]


def test_list_notifications_by_ticket(store: Store, outbox: dict[str, Notification]) -> None:
    assert _names(outbox, store.list_notifications(ticket_id=7)) == _newest_first(
        outbox, "7-ack", "7-r1", "7-r1-bob", "7-r2")
    assert _names(outbox, store.list_notifications(ticket_id=8)) == ["8-r1", "8-ack", "8-old"]
    assert store.list_notifications(ticket_id=9) == []


def test_list_notifications_by_ticket_and_states(store: Store, outbox: dict[str, Notification]) -> None:
    assert _names(outbox, store.list_notifications(states=[QUEUED, FAILED], ticket_id=7)) == _newest_first(
        outbox, "7-r1", "7-r1-bob", "7-r2")
    assert _names(outbox, store.list_notifications(states=[QUEUED], ticket_id=8)) == ["8-old"]
    assert store.list_notifications(states=[SENDING], ticket_id=7) == []


def test_list_notifications_limit_keeps_the_newest(store: Store, outbox: dict[str, Notification]) -> None:
    everything = _newest_first(outbox, *outbox)

    assert _names(outbox, store.list_notifications(limit=3)) == everything[:3]
    assert _names(outbox, store.list_notifications(states=[QUEUED], limit=2)) == ["7-r2", "7-r1-bob"]
    assert _names(outbox, store.list_notifications(ticket_id=7, limit=1)) == ["7-r2"]
    assert _names(outbox, store.list_notifications(states=[QUEUED, FAILED], ticket_id=7, limit=2)) == (
        _newest_first(outbox, "7-r1", "7-r1-bob", "7-r2")[:2])


def test_list_notifications_oldest_first(store: Store, outbox: dict[str, Notification]) -> None:
    """What the sweep asks for: the longest-waiting records first, so a burst of new ones cannot hide them."""
    timed = [n for n in _newest_first(outbox, *outbox) if outbox[n].created_at is not None]

    assert _names(outbox, store.list_notifications(oldest_first=True)) == [*reversed(timed), "8-old"]
    assert _names(outbox, store.list_notifications(states=[QUEUED], oldest_first=True, limit=2)) == [
        "7-r1-bob", "7-r2"]
    assert _names(outbox, store.list_notifications(ticket_id=7, oldest_first=True, limit=1)) == ["7-ack"]


def test_list_notifications_on_an_empty_outbox(store: Store) -> None:
    assert store.list_notifications() == []
    assert store.list_notifications(states=list(NotificationState), ticket_id=1) == []


def test_due_notifications_are_the_retrying_ones_whose_time_came_longest_due_first(store: Store) -> None:
    """What the sweep publishes again: only records waiting for a next attempt at or before now, at most `limit`."""
    RETRYING = NotificationState.RETRYING

    def retrying(n: int, due_in: timedelta) -> Notification:
        return replace(_minimal(n, to=(f"c{n}@customer.test",)), state=RETRYING, attempts=2, last_error="421",
                       next_attempt_at=T0 + due_in, first_failed_at=T0 - timedelta(hours=1), created_at=T0)

    due = [retrying(1, timedelta(seconds=-5)), retrying(2, -timedelta(minutes=9)), retrying(3, timedelta(0))]
    later = retrying(4, timedelta(seconds=1))
    _put(store, *due, later, _minimal(5, state=QUEUED, created_at=T0), _minimal(6, state=SENT, created_at=T0))

    found = store.due_notifications(T0, limit=10)
    assert [n.ticket_id for n in found] == [2, 1, 3]
    assert found[0] == due[1]  # every field kept, the retry times included
    _assert_utc(found[0].next_attempt_at, found[0].first_failed_at)
    assert [n.ticket_id for n in store.due_notifications(T0, limit=2)] == [2, 1]
    assert [n.ticket_id for n in store.due_notifications(T0 + timedelta(seconds=1), limit=10)] == [2, 1, 3, 4]
    assert store.due_notifications(T0 - timedelta(hours=1), limit=10) == []

    claimed = replace(due[1], state=SENDING, next_attempt_at=None)  # claimed: no next attempt time any more
    _put(store, claimed)
    assert [n.ticket_id for n in store.due_notifications(T0, limit=10)] == [1, 3]


# --------------------------------------------------------------------------- send windows


def test_a_window_never_written_is_empty(store: Store) -> None:
    assert store.get_send_window(HELP) == SendWindow(HELP)
    assert store.atomically(lambda uow: uow.get_send_window(HELP)) == SendWindow(HELP)


def test_send_window_round_trips_buckets_and_blocked_until(store: Store) -> None:
    hour = T0.replace(minute=0, second=0, microsecond=0)
    stored = SendWindow(
        HELP,
        buckets={hour - timedelta(hours=23): 480, hour - timedelta(hours=1): 15, hour: 5},
        blocked_until=datetime(2024, 5, 18, 12, 0, 0, 250, tzinfo=CEST),
    )
    store.atomically(lambda uow: uow.put_send_window(stored))

    got = store.get_send_window(HELP)

    assert got == stored
    assert store.atomically(lambda uow: uow.get_send_window(HELP)) == stored
    assert got.sent(T0) == 500 and got.limit_reached(T0, 500) and got.blocked(T0)
    _assert_utc(*got.buckets, got.blocked_until)
    assert store.get_send_window("other@acme.test") == SendWindow("other@acme.test")  # one per account


def test_send_window_read_modify_write_in_a_unit(store: Store) -> None:
    def send(now: datetime, recipients: int) -> None:
        def work(uow: UnitOfWork) -> None:
            window = uow.get_send_window(HELP)
            window.record(now, recipients)
            uow.put_send_window(window)

        store.atomically(work)

    send(T0, 2)
    send(T0 + timedelta(minutes=10), 3)  # same hour: same bucket
    send(T0 + timedelta(hours=1), 1)

    hour = T0.replace(minute=0, second=0, microsecond=0)
    got = store.get_send_window(HELP)
    assert got.buckets == {hour: 5, hour + timedelta(hours=1): 1}
    assert got.sent(T0 + timedelta(hours=1)) == 6

    send(T0 + timedelta(hours=26), 4)  # both old buckets have left the window and are dropped
    assert store.get_send_window(HELP).buckets == {hour + timedelta(hours=26): 4}


def test_two_workers_recording_sends_lose_neither(store: Store) -> None:
    start = threading.Barrier(2)

    def send(recipients: int) -> None:
        def work(uow: UnitOfWork) -> None:
            window = uow.get_send_window(HELP)
            window.record(T0, recipients)
            uow.put_send_window(window)

        start.wait(timeout=10)
        store.atomically(work)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(send, [2, 3]))

    assert store.get_send_window(HELP).sent(T0) == 5


def test_send_window_blocked_until_clears(store: Store) -> None:
    blocked = SendWindow(HELP, blocked_until=T0 + timedelta(hours=3))
    store.atomically(lambda uow: uow.put_send_window(blocked))
    store.atomically(lambda uow: uow.put_send_window(replace(blocked, blocked_until=None)))

    assert store.get_send_window(HELP) == SendWindow(HELP)



def test_every_send_window_in_one_list_however_it_was_written(store: Store) -> None:
    """The console's banner reads all windows at once; a window written by the senders' increment must be in it."""
    assert store.list_send_windows() == []
    blocked = SendWindow(HELP, blocked_until=T0 + timedelta(hours=3))
    store.atomically(lambda uow: uow.put_send_window(blocked))
    store.record_gmail_sends("zed@acme.test", T0, 2)

    listed = store.list_send_windows()

    assert [w.address for w in listed] == [HELP, "zed@acme.test"]
    assert listed[0] == blocked and listed[1].sent(T0) == 2

# --------------------------------------------------------------------------- tickets and brands


def test_ticket_gmail_thread_id_round_trips(store: Store) -> None:
    def work(uow: UnitOfWork) -> tuple[int, int]:
        threaded = uow.add_ticket(Ticket("Printer on fire", ANN, HELP, created_at=T0, gmail_thread_id="18f0c0ffee"))
        unthreaded = uow.add_ticket(Ticket("From the console", ANN, HELP, created_at=T0))
        return threaded, unthreaded

    threaded, unthreaded = store.atomically(work)

    got = store.get_ticket(threaded)
    assert got == Ticket("Printer on fire", ANN, HELP, created_at=T0, gmail_thread_id="18f0c0ffee", id=threaded)
    assert store.atomically(lambda uow: uow.get_ticket(threaded)) == got
    assert store.get_ticket(unthreaded).gmail_thread_id is None  # type: ignore[union-attr]
    assert {t.id: t.gmail_thread_id for t in store.list_tickets()} == {threaded: "18f0c0ffee", unthreaded: None}


def test_brand_ack_template_round_trips_and_is_replaced(store: Store) -> None:
    template = "Hello {{ ticket.requester_name }},\n\nwe got your request #{{ ticket.id }}. — {{ brand_name }}"
    store.save_brand(Brand("acme", "Acme", ack_template=template))
    store.save_brand(Brand("default", "Help desk"))

    assert store.list_brands() == [Brand("acme", "Acme", ack_template=template), Brand("default", "Help desk")]

    store.save_brand(Brand("acme", "Acme Inc."))  # back to the built-in text
    assert store.list_brands()[0] == Brand("acme", "Acme Inc.", ack_template=None)


def test_firestore_documents_written_before_outbound_mail_read_as_unknown() -> None:
    """Firestore has no migration: older ticket and brand documents simply lack the fields."""
    ticket = records.to_doc(Ticket("Printer on fire", ANN, HELP, created_at=T0, id=7))
    brand = records.to_doc(Brand("acme", "Acme"))
    del ticket["gmail_thread_id"], brand["ack_template"]

    assert records.from_doc(Ticket, ticket).gmail_thread_id is None
    assert records.from_doc(Brand, brand).ack_template is None


def test_recorded_gmail_sends_add_up_per_hour_and_keep_the_block(store: Store) -> None:
    hour = T0.replace(minute=0, second=0, microsecond=0)
    store.record_gmail_sends(HELP, T0, 2)  # no window yet: made
    store.record_gmail_sends(HELP, T0 + timedelta(minutes=10), 3)  # the same hour
    store.atomically(lambda uow: uow.put_send_window(
        replace(uow.get_send_window(HELP), blocked_until=T0 + timedelta(hours=1))))
    store.record_gmail_sends(HELP, T0 + timedelta(hours=1), 1)  # the next hour

    window = store.get_send_window(HELP)
    assert window.buckets == {hour: 5, hour + timedelta(hours=1): 1}
    assert window.blocked_until == T0 + timedelta(hours=1)  # counting does not clear Gmail's block
    assert window.sent(T0 + timedelta(hours=1)) == 6


def test_concurrent_gmail_sends_lose_no_count(store: Store) -> None:
    """Every sender of an account adds to one window: none may overwrite another's count."""
    barrier = threading.Barrier(4)

    def send_three(_: int) -> None:
        barrier.wait()
        for _ in range(3):
            store.record_gmail_sends(HELP, T0, 1)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(send_three, range(4)))
    assert store.get_send_window(HELP).sent(T0) == 12


def test_counting_drops_the_buckets_that_left_the_24_hours(store: Store) -> None:
    """Where windows are written, stale buckets go (no sweep prunes them): the map stays bounded."""
    store.record_gmail_sends(HELP, T0 - timedelta(days=3), 1)
    store.record_gmail_sends(HELP, T0 - timedelta(hours=30), 7)
    store.record_gmail_sends(HELP, T0 - timedelta(hours=23), 4)  # still in the window
    store.record_gmail_sends(HELP, T0, 2)

    hour = T0.replace(minute=0, second=0, microsecond=0)
    assert store.get_send_window(HELP).buckets == {hour - timedelta(hours=23): 4, hour: 2}
