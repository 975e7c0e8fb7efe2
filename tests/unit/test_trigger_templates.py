"""The texts of a brand's triggers: the built-in ones, a brand's own, the built-in one whenever the brand's fails,
and a text that cannot render for every sample ticket refused before it is saved."""

from __future__ import annotations

import pytest

from gmail_tickets.domain.model import Brand, Ticket, TriggerSetting
from gmail_tickets.domain.triggers import Trigger
from gmail_tickets.services import trigger_templates

TICKET = Ticket(subject="Printer", requester="dana@customer.example", connection="help@acme.example",
                requester_name="Dana", id=42, assignee="ana@acme.example")


def _brand(trigger: Trigger, template: str | None) -> Brand:
    return Brand("acme", "Acme", triggers={trigger.value: TriggerSetting(template=template)})


@pytest.mark.parametrize(("trigger", "extra", "expected"), [
    (Trigger.ASSIGNEE_ASSIGNED, {"agent": "Bo"}, 'Bo assigned ticket #42 to you: "Printer", from Dana.\n\nAcme\n'),
    (Trigger.ASSIGNEE_CUSTOMER_REPLY, {"comment": "It is the X200."},
     'Dana answered ticket #42, "Printer", which is assigned to you:\n\nIt is the X200.\n\nAcme\n'),
    (Trigger.COMMENT_UPDATE, {"comment": "Hello  there,\n\n  indented"}, "Hello  there,\n\n  indented\n"),
])
def test_the_built_in_texts(trigger: Trigger, extra: dict[str, str], expected: str) -> None:
    assert trigger_templates.render(Brand("acme", "Acme"), trigger, TICKET, **extra) == expected


def test_a_brand_s_own_text_and_the_built_in_one_when_it_fails() -> None:
    own = _brand(Trigger.REQUESTER_SOLVED, "#{{ ticket_id }} solved by {{ agent }} for {{ requester }}")
    assert trigger_templates.render(own, Trigger.REQUESTER_SOLVED, TICKET, agent="Bo") == (
        "#42 solved by Bo for dana@customer.example\n")
    broken = _brand(Trigger.REQUESTER_SOLVED, "{{ 1 // 0 }}")
    assert trigger_templates.render(broken, Trigger.REQUESTER_SOLVED, TICKET).startswith("Hello Dana,")


@pytest.mark.parametrize("template", ["{{ unclosed", "{{ 1 // (ticket_id - 1) }}", "{{ comment.__class__ }}",
                                      "{{ ''.__class__.__mro__ }}"])
def test_a_text_that_does_not_render_for_every_sample_is_refused(template: str) -> None:
    assert trigger_templates.check(template) is not None


def test_the_preview_renders_the_brand_s_text_for_a_sample_ticket() -> None:
    brand = _brand(Trigger.ASSIGNEE_ASSIGNED, "{{ agent }} → {{ assignee }}: #{{ ticket_id }}")
    assert trigger_templates.preview(brand, Trigger.ASSIGNEE_ASSIGNED) == "Ana → ana@example.com: #123\n"
    assert trigger_templates.preview(Brand("a", "Acme", ack_template="Hi {{ requester_name }}"),
                                     Trigger.REQUEST_RECEIVED) == "Hi Ann\n"
