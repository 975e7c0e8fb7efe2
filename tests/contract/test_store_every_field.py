"""Contract: every field of every stored record survives both stores — including fields added after this test.

The records are filled from their own dataclass definitions, each field with a value unlike its default, so a field
added to a model is exercised here the day it is added, with no edit to this file, a store or a schema (the record
codec derives the stored form from the dataclass: adapters/records.py).
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import UTC, datetime
from typing import Any, TypeVar

from gmail_tickets.domain.model import Brand, Comment, Connection, SupportAddress, SuspendedMail, Ticket
from gmail_tickets.domain.outbox import Notification
from gmail_tickets.domain.ticket_fields import Priority, TicketStatus, TimelineEntry
from gmail_tickets.ports import Store, UnitOfWork

R = TypeVar("R")
T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)


def _value(hint: Any, name: str, default: Any) -> Any:
    """A value of type `hint` that differs from `default` (None and empty are what defaults usually are)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = next(h for h in typing.get_args(hint) if h is not type(None))
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return next(a for a in args if a != default)
    if origin in (list, tuple):
        item = _value(args[0], name, None)
        return [item] if origin is list else (item,)
    if origin is dict:
        return {_value(args[0], name, None): _value(args[1], name, None)}
    if hint is bool:
        return not default if isinstance(default, bool) else True
    if hint is int:
        return 7 if default != 7 else 8
    if hint is datetime:
        return T0
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return next(m for m in hint if m != default)
    if dataclasses.is_dataclass(hint):
        return filled(hint)  # type: ignore[arg-type]
    if hint is str:
        return f"{name}-x@acme.test" if default != f"{name}-x@acme.test" else f"{name}-y@acme.test"
    raise TypeError(f"no sample for {name}: {hint!r} (teach _value this type)")


def filled(cls: type[R], **given: Any) -> R:
    """An instance of `cls` with every field set (those in `given` as given) to a value unlike its default."""
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not f.init:
            continue
        default = f.default if f.default is not dataclasses.MISSING else None
        values[f.name] = given[f.name] if f.name in given else _value(hints[f.name], f.name, default)
    return cls(**values)


def test_every_ticket_field_round_trips(store: Store) -> None:
    ticket = filled(Ticket, id=None)
    ticket_id = store.atomically(lambda uow: uow.add_ticket(ticket))
    assert store.get_ticket(ticket_id) == ticket
    # the lifecycle's fields among them: enums, the received date apart from created_at, the timeline's entries
    stored = store.get_ticket(ticket_id)
    assert stored is not None and isinstance(stored.status, TicketStatus) and isinstance(stored.priority, Priority)
    assert stored.received_at == T0 and stored.follow_up_of == 7 and stored.version == 7
    assert [type(e) for e in stored.timeline] == [TimelineEntry] and stored.timeline[0].version == 7
    assert store.list_tickets(connection=ticket.connection) == [ticket]

    def update(uow: UnitOfWork) -> None:
        stored = uow.get_ticket(ticket_id)
        assert stored is not None
        uow.put_ticket(dataclasses.replace(filled(Ticket, id=ticket_id), subject="changed"))

    store.atomically(update)
    assert store.get_ticket(ticket_id) == dataclasses.replace(filled(Ticket, id=ticket_id), subject="changed")


def test_every_comment_field_round_trips(store: Store) -> None:
    ticket_id = store.atomically(lambda uow: uow.add_ticket(filled(Ticket, id=None)))
    comment = filled(Comment, ticket_id=ticket_id, id=None)
    store.atomically(lambda uow: uow.add_comment(comment))
    assert store.comments(ticket_id) == [comment]


def test_every_connection_address_and_brand_field_round_trips(store: Store) -> None:
    connection, address, brand = filled(Connection), filled(SupportAddress), filled(Brand)
    store.save_connection(connection)
    store.save_support_address(address)
    store.save_brand(brand)
    assert store.get_connection(connection.address) == connection
    assert store.list_support_addresses() == [address]
    assert store.list_brands() == [brand]


def test_every_suspended_and_notification_field_round_trips(store: Store) -> None:
    suspended = filled(SuspendedMail)
    notification = filled(Notification, ticket_id=7)

    def work(uow: UnitOfWork) -> None:
        uow.add_suspended(suspended)
        uow.put_notification(notification)

    store.atomically(work)
    assert store.list_suspended() == [suspended]
    assert store.get_notification(notification.id) == notification
    stored = store.get_notification(notification.id)  # the resends after an interruption, which the console shows
    assert stored is not None and stored.resent_after_interruption == 7 and stored.interruption_note is not None


def test_the_sample_differs_from_the_default_in_every_field() -> None:
    """Else a field the stores dropped would read back as its default and pass unnoticed."""
    for cls in (Ticket, Comment, Connection, SupportAddress, Brand, SuspendedMail, Notification):
        sample = filled(cls)
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.default is not dataclasses.MISSING:
                assert getattr(sample, f.name) != f.default, (cls.__name__, f.name)
            elif f.default_factory is not dataclasses.MISSING:
                assert getattr(sample, f.name) != f.default_factory(), (cls.__name__, f.name)
