"""Contract: every entity comes back exactly as it was stored, field for field, type for type.

Services compare enums, do arithmetic on datetimes and append to lists they read back, so a store that
returns strings for enums or naive datetimes breaks them in ways only production would show.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from gmail_tickets.domain.model import (
    AccountKind,
    AddressKind,
    Attachment,
    Brand,
    Comment,
    Connection,
    ConnectionStatus,
    QuarantineRecord,
    SupportAddress,
    Ticket,
)
from gmail_tickets.ports import Store, UnitOfWork

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
CEST = timezone(timedelta(hours=2))


def _assert_utc(*values: datetime | None) -> None:
    for value in values:
        assert value is not None
        assert value.utcoffset() == timedelta(0), value


def _full_connection() -> Connection:
    return Connection(
        address="help@acme.test",
        brand_id="acme",
        status=ConnectionStatus.ERROR,
        account_kind=AccountKind.WORKSPACE,
        history_id=9_876_543_210,
        watch_expiration=datetime(2024, 5, 24, 11, 0, 0, 500, tzinfo=CEST),  # stored as the same instant
        label_id="Label_42",
        send_via_gmail=False,
        last_sync_at=T0,
        last_error="quota exceeded",
        warnings=["spf_missing", "dkim_missing"],
        created_at=T0 - timedelta(days=30),
        disconnected_at=T0 - timedelta(days=1),
    )


# --------------------------------------------------------------------------- connections


def test_connection_round_trips_every_field(store: Store) -> None:
    stored = _full_connection()
    store.save_connection(stored)

    got = store.get_connection("help@acme.test")

    assert got == stored
    assert isinstance(got.status, ConnectionStatus)
    assert isinstance(got.account_kind, AccountKind)
    assert isinstance(got.history_id, int)
    _assert_utc(got.watch_expiration, got.last_sync_at, got.created_at, got.disconnected_at)


def test_connection_defaults_and_nones_round_trip(store: Store) -> None:
    store.save_connection(Connection(address="plain@gmail.test"))

    got = store.get_connection("plain@gmail.test")

    assert got == Connection(address="plain@gmail.test")
    assert got.warnings == []
    assert got.history_id is None and got.watch_expiration is None and got.last_sync_at is None


def test_connection_save_replaces_and_delete_removes(store: Store) -> None:
    store.save_connection(_full_connection())
    store.save_connection(Connection(address="other@gmail.test"))
    updated = _full_connection()
    updated.status = ConnectionStatus.CONNECTED
    updated.history_id = 9_876_543_999
    updated.warnings = []
    updated.last_error = None
    store.save_connection(updated)

    assert store.get_connection("help@acme.test") == updated
    assert sorted(c.address for c in store.list_connections()) == ["help@acme.test", "other@gmail.test"]

    store.delete_connection("help@acme.test")
    store.delete_connection("never-was@gmail.test")  # deleting what is not there is not an error

    assert store.get_connection("help@acme.test") is None
    assert store.list_connections() == [Connection(address="other@gmail.test")]


def test_connection_through_a_unit_of_work(store: Store) -> None:
    store.save_connection(Connection(address="help@acme.test", history_id=100))

    def advance(uow: UnitOfWork) -> int | None:
        connection = uow.get_connection("help@acme.test")
        assert connection is not None
        assert uow.get_connection("missing@acme.test") is None
        before = connection.history_id
        connection.history_id = 200
        uow.put_connection(connection)
        return before

    assert store.atomically(advance) == 100
    assert store.get_connection("help@acme.test") == Connection(address="help@acme.test", history_id=200)


def test_unknown_connection_is_none(store: Store) -> None:
    assert store.get_connection("nobody@acme.test") is None
    assert store.list_connections() == []


# --------------------------------------------------------------------------- addresses and brands


def test_support_addresses_round_trip_update_and_delete(store: Store) -> None:
    store.save_support_address(SupportAddress(address="help@acme.test", brand_id="acme", is_default=True,
                                              kind=AddressKind.GMAIL_CONNECTOR))
    store.save_support_address(SupportAddress(address="billing@acme.test", kind=AddressKind.FORWARDING))
    store.save_support_address(SupportAddress(address="help@acme.test", brand_id="acme2", is_default=False,
                                              kind=AddressKind.FORWARDING))

    got = sorted(store.list_support_addresses(), key=lambda a: a.address)

    assert got == [
        SupportAddress(address="billing@acme.test", brand_id="default", is_default=False,
                       kind=AddressKind.FORWARDING),
        SupportAddress(address="help@acme.test", brand_id="acme2", is_default=False, kind=AddressKind.FORWARDING),
    ]
    assert all(isinstance(a.kind, AddressKind) for a in got)

    store.delete_support_address("billing@acme.test")
    store.delete_support_address("never-was@acme.test")
    assert [a.address for a in store.list_support_addresses()] == ["help@acme.test"]


def test_brands_round_trip_and_update(store: Store) -> None:
    assert store.list_brands() == []
    store.save_brand(Brand(id="acme", name="Acme"))
    store.save_brand(Brand(id="zeta", name="Zeta Ltd"))
    store.save_brand(Brand(id="acme", name="Acme Corp"))

    assert sorted(store.list_brands(), key=lambda b: b.id) == [Brand("acme", "Acme Corp"), Brand("zeta", "Zeta Ltd")]


# --------------------------------------------------------------------------- tickets and comments


def test_ticket_round_trips_every_field(store: Store) -> None:
    ticket = Ticket(
        subject="Ünïcode ✓ subject",
        requester="ann@customer.test",
        connection="help@acme.test",
        brand_id="acme",
        requester_name="Ann O'Neil",
        followers=["bob@customer.test", "cy@customer.test"],
        status="open",
        created_at=T0.astimezone(CEST),
        suppress_triggers=True,
    )

    ticket_id = store.atomically(lambda uow: uow.add_ticket(ticket))

    assert isinstance(ticket_id, int)
    assert ticket.id == ticket_id
    got = store.get_ticket(ticket_id)
    assert got == ticket
    _assert_utc(got.created_at)
    assert store.atomically(lambda uow: uow.get_ticket(ticket_id)) == ticket


def test_ticket_defaults_round_trip(store: Store) -> None:
    ticket = Ticket(subject="", requester="ann@customer.test", connection="help@acme.test")
    ticket_id = store.atomically(lambda uow: uow.add_ticket(ticket))

    assert store.get_ticket(ticket_id) == Ticket(subject="", requester="ann@customer.test",
                                                 connection="help@acme.test", id=ticket_id)


def test_unknown_ticket_is_none(store: Store) -> None:
    assert store.get_ticket(424242) is None
    assert store.atomically(lambda uow: uow.get_ticket(424242)) is None
    assert store.comments(424242) == []


def test_ticket_ids_are_unique_and_increasing(store: Store) -> None:
    ids = [store.atomically(lambda uow: uow.add_ticket(Ticket("s", "r@x.test", "c@x.test"))) for _ in range(4)]
    ids += store.atomically(
        lambda uow: [uow.add_ticket(Ticket(f"s{i}", "r@x.test", "c@x.test")) for i in range(3)]
    )

    assert all(isinstance(i, int) and i > 0 for i in ids)
    assert ids == sorted(set(ids)), ids


def test_list_tickets_newest_first_with_limit_and_connection(store: Store) -> None:
    made = []
    for i in range(5):
        connection = "a@acme.test" if i % 2 == 0 else "b@acme.test"
        ticket = Ticket(f"t{i}", "r@x.test", connection, created_at=T0 + timedelta(minutes=i))

        def add(uow: UnitOfWork, ticket: Ticket = ticket) -> int:
            return uow.add_ticket(ticket)

        store.atomically(add)
        made.append(ticket)

    assert store.list_tickets() == made[::-1]
    assert store.list_tickets(limit=2) == [made[4], made[3]]
    assert store.list_tickets(connection="a@acme.test") == [made[4], made[2], made[0]]
    assert store.list_tickets(connection="b@acme.test", limit=1) == [made[3]]
    assert store.list_tickets(connection="nobody@acme.test") == []


def test_comment_round_trips_every_field(store: Store) -> None:
    ticket_id = store.atomically(lambda uow: uow.add_ticket(Ticket("s", "r@x.test", "help@acme.test")))
    full = Comment(
        ticket_id=ticket_id,
        author="ann@customer.test",
        body_text="Line one\nLine two — ✓",
        created_at=T0.astimezone(CEST),
        connection="help@acme.test",
        gmail_message_id="18f2a0c3b4d5e6f7",
        message_id="CAF=abc@mail.gmail.com",
        matched_by="thread",
        attachments=[Attachment("report.pdf", "application/pdf", 12345), Attachment("a.png", "image/png", 0)],
    )
    bare = Comment(ticket_id=ticket_id, author="bob@customer.test", body_text="", created_at=T0 + timedelta(1),
                   connection="help@acme.test")

    ids = store.atomically(lambda uow: [uow.add_comment(full), uow.add_comment(bare)])

    assert ids == [full.id, bare.id]
    assert all(isinstance(i, str) and i for i in ids) and ids[0] != ids[1]
    got = store.comments(ticket_id)
    assert got == [full, bare]
    assert all(isinstance(a, Attachment) for a in got[0].attachments)
    _assert_utc(got[0].created_at)


def test_comments_oldest_first_then_in_insertion_order(store: Store) -> None:
    first, second = (store.atomically(lambda uow: uow.add_ticket(Ticket("s", "r@x.test", "c@x.test")))
                     for _ in range(2))

    def comment(ticket_id: int, body: str, at: datetime) -> Comment:
        return Comment(ticket_id=ticket_id, author="a@x.test", body_text=body, created_at=at, connection="c@x.test")

    late = comment(first, "late", T0 + timedelta(hours=1))
    early = comment(first, "early", T0)
    late_too = comment(first, "late too", T0 + timedelta(hours=1))
    elsewhere = comment(second, "elsewhere", T0 - timedelta(hours=1))
    store.atomically(lambda uow: [uow.add_comment(late), uow.add_comment(early)])
    store.atomically(lambda uow: [uow.add_comment(elsewhere), uow.add_comment(late_too)])

    assert [c.body_text for c in store.comments(first)] == ["early", "late", "late too"]
    assert [c.body_text for c in store.comments(second)] == ["elsewhere"]


# --------------------------------------------------------------------------- quarantine


def test_quarantine_round_trips_binary_raw(store: Store) -> None:
    raw = b"From: x\r\nSubject: \xff\xfe broken\r\n\r\n\x00\x80\xc3(" + bytes(range(256))
    with_everything = QuarantineRecord(id="q-1", connection="help@acme.test", reason="unparseable", raw=raw,
                                       source="gmail", gmail_message_id="18f2", created_at=T0.astimezone(CEST))
    bare = QuarantineRecord(id="q-2", connection=None, reason="bad event", raw=b"\xff", source="event")

    store.atomically(lambda uow: uow.add_quarantine(with_everything))
    store.atomically(lambda uow: uow.add_quarantine(bare))

    got = {r.id: r for r in store.list_quarantine()}
    assert got == {"q-1": with_everything, "q-2": bare}
    assert type(got["q-1"].raw) is bytes
    _assert_utc(got["q-1"].created_at)


def test_list_quarantine_honours_limit(store: Store) -> None:
    records = [
        QuarantineRecord(id=f"q-{i}", connection="c@x.test", reason="r", raw=b"\x00", source="gmail",
                         created_at=T0 + timedelta(minutes=i))
        for i in range(3)
    ]

    def add(uow: UnitOfWork) -> None:
        for record in records:
            uow.add_quarantine(record)

    store.atomically(add)

    assert len(store.list_quarantine(limit=2)) == 2
    assert len(store.list_quarantine()) == 3
