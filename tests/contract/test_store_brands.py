"""Brands inside a unit of work, and a template's failure kept on its brand, on every store."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from gmail_tickets.domain.model import Brand, TemplateFailure, Ticket, TriggerSetting
from gmail_tickets.domain.triggers import Trigger, is_on
from gmail_tickets.ports import Store
from gmail_tickets.services import template_sandbox
from gmail_tickets.services.ack_template import current_failure, render_ack


def test_a_brand_is_read_and_written_in_a_unit_of_work(store: Store) -> None:
    assert store.atomically(lambda uow: uow.get_brand("acme")) is None
    failure = TemplateFailure(version="abc", ticket_id=2**62, error="TypeError", at=datetime(2026, 1, 2, tzinfo=UTC))
    store.atomically(lambda uow: uow.put_brand(Brand("acme", "Acme", "Hi", failure)))
    assert store.atomically(lambda uow: uow.get_brand("acme")) == Brand("acme", "Acme", "Hi", failure)
    assert store.list_brands() == [Brand("acme", "Acme", "Hi", failure)]


def _wait_for_failure(store: Store, brand_id: str) -> TemplateFailure | None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        brand = next(b for b in store.list_brands() if b.id == brand_id)
        if brand.ack_failure is not None:
            return brand.ack_failure
        time.sleep(0.05)
    return None


def test_a_failing_template_is_kept_on_its_brand_once_and_only_for_its_text(store: Store) -> None:
    brand_id = f"b{time.monotonic_ns()}"  # failures are remembered per process, by brand and text
    template = "{{ 1 // (ticket_id - 5) }}"
    store.save_brand(Brand(brand_id, "B", template))
    for ticket_id in (5, 5):
        render_ack(template, ticket=Ticket(subject="s", requester="a@b.c", connection="h@b.c", brand_id=brand_id,
                                           id=ticket_id), brand_name="B", store=store)
    failure = _wait_for_failure(store, brand_id)
    assert failure is not None and (failure.ticket_id, failure.error) == (5, "ZeroDivisionError")
    assert failure.version == template_sandbox.version_of(template)
    brand = next(b for b in store.list_brands() if b.id == brand_id)
    assert current_failure(brand) == failure
    brand.ack_template = "{{ ticket_id }}"  # a changed text: the old failure is not its failure
    assert current_failure(brand) is None


def test_a_failure_is_not_kept_once_the_template_changed(store: Store) -> None:
    brand_id = f"c{time.monotonic_ns()}"
    store.save_brand(Brand(brand_id, "C", "{{ ticket_id }} fixed"))
    render_ack("{{ 1 // 0 }}", ticket=Ticket(subject="s", requester="a@b.c", connection="h@b.c", brand_id=brand_id,
                                             id=9), brand_name="C", store=store)
    time.sleep(0.5)  # the failure is kept off the caller's thread
    assert next(b for b in store.list_brands() if b.id == brand_id).ack_failure is None


def test_a_brand_s_trigger_settings_are_kept(store: Store) -> None:
    """Each trigger on or off with its own text, read back as written (and absent ones as their defaults)."""
    brand = Brand("trig", "Trig", "Hi", triggers={
        "requester-solved": TriggerSetting(enabled=True, template="Solved: {{ ticket_id }} ✓"),
        "assignee-assigned": TriggerSetting(enabled=False),
        "request-received": TriggerSetting(enabled=False, template=None)})
    store.atomically(lambda uow: uow.put_brand(brand))
    assert store.atomically(lambda uow: uow.get_brand("trig")) == brand
    kept = next(b for b in store.list_brands() if b.id == "trig")
    assert kept == brand
    assert [t for t in Trigger if is_on(kept, t)] == [Trigger.COMMENT_UPDATE, Trigger.ASSIGNEE_CUSTOMER_REPLY,
                                                     Trigger.REQUESTER_SOLVED]
    store.save_brand(Brand("trig", "Trig"))  # a brand written without them reads back with the defaults
    assert next(b for b in store.list_brands() if b.id == "trig").triggers == {}


def test_a_brand_keeps_the_language_of_its_built_in_texts(store: Store) -> None:
    store.atomically(lambda uow: uow.put_brand(Brand("de", "Acme DE", language="de")))
    store.atomically(lambda uow: uow.put_brand(Brand("plain", "Plain")))
    assert [(b.id, b.language) for b in store.list_brands()] == [("de", "de"), ("plain", "en")]
