"""The texts of a brand's triggers (domain/triggers.py) besides the acknowledgement (services/ack_template.py):
the built-in ones, the variables each may use, rendering bounded (services/template_sandbox.py) with the
built-in text whenever the brand's fails, and saving a brand's choice (on or off, and its text) after the text
rendered for every sample ticket.

The comment update's built-in text is the reply itself, untouched: a brand that never set one mails replies
exactly as written (the agent's signature is added below whatever the template makes).
"""

from __future__ import annotations

import logging

from gmail_tickets.catalogs import N_
from gmail_tickets.domain.model import Brand, Ticket, TriggerSetting
from gmail_tickets.domain.said import said
from gmail_tickets.domain.triggers import Trigger, is_on, template_of
from gmail_tickets.errors import ActionRefused
from gmail_tickets.mail.outbound import clean_header_text
from gmail_tickets.ports import ConnectionUnit
from gmail_tickets.services import ack_template, template_sandbox
from gmail_tickets.services.deps import Deps

log = logging.getLogger(__name__)

MAX_COMMENT_CHARS = 10_000  # a customer's mail quoted to the assignee is cut here

DEFAULTS: dict[Trigger, str] = {
    Trigger.COMMENT_UPDATE: "{{ comment }}\n",
    Trigger.ASSIGNEE_CUSTOMER_REPLY: N_("""\
{{ requester_name or requester }} answered ticket #{{ ticket_id }}, "{{ subject }}", which is assigned to you:

{{ comment }}

{{ brand }}
"""),
    Trigger.ASSIGNEE_ASSIGNED: N_("""\
{{ agent }} assigned ticket #{{ ticket_id }} to you: "{{ subject }}", from {{ requester_name or requester }}.

{{ brand }}
"""),
    Trigger.REQUESTER_SOLVED: N_("""\
Hello {{ requester_name or "there" }},

Your request #{{ ticket_id }}, "{{ subject }}", has been solved. If anything is still not right, simply reply to
this mail and we will look at it again.

{{ brand }}
"""),
}

EXTRA_VARIABLES: dict[Trigger, tuple[tuple[str, str], ...]] = {
    Trigger.COMMENT_UPDATE: (("comment", "the agent's reply"), ("agent", "the agent's name")),
    Trigger.ASSIGNEE_CUSTOMER_REPLY: (("comment", "the customer's mail"), ("assignee", "the assignee's address")),
    Trigger.ASSIGNEE_ASSIGNED: (("agent", "who assigned it"), ("assignee", "the assignee's address")),
    Trigger.REQUESTER_SOLVED: (("agent", "who solved it"),),
}
"""Beyond the acknowledgement's (ticket_id, subject, requester, requester_name, brand)."""

SAMPLE_EXTRAS: dict[str, str] = {"comment": "Thanks, the X200 prints again.\n\nDana", "agent": "Ana",
                                 "assignee": "ana@example.com"}


def values(ticket: Ticket, brand_name: str, *, comment: str = "", agent: str = "",
           assignee: str = "") -> dict[str, object]:
    """What a trigger's template may use: the acknowledgement's variables, and the comment, agent and assignee."""
    return {**ack_template.template_values(ticket, brand_name), "comment": (comment or "")[:MAX_COMMENT_CHARS],
            "agent": clean_header_text(agent[:200]), "assignee": clean_header_text(assignee[:254])}


def render(brand: Brand | None, trigger: Trigger, ticket: Ticket, **extra: str) -> str:
    """The trigger's text for this ticket: the brand's own, or the built-in one when it has none or it fails."""
    brand_name = brand.name if brand is not None else ""
    own = template_of(brand, trigger)
    data = values(ticket, brand_name, **extra)
    if own and own.strip():
        try:
            return template_sandbox.render(own, data).strip() + "\n"
        except Exception as exc:  # any failure at all: the built-in text goes out instead
            log.warning("brand trigger template failed; the built-in one was used",
                        extra={"brand": ticket.brand_id, "trigger": str(trigger), "ticket_id": ticket.id,
                               "error": type(exc).__name__})
    language = brand.language if brand is not None else "en"
    return template_sandbox.render_within_budget(ack_template.builtin(DEFAULTS[trigger], language), data).strip() + "\n"


def preview(brand: Brand, trigger: Trigger) -> str:
    """The trigger's text for the first sample ticket, as the Brands page shows it."""
    if trigger == Trigger.REQUEST_RECEIVED:
        return ack_template.render_ack(brand.ack_template, ticket=ack_template.SAMPLE_TICKETS[0],
                                       brand_name=brand.name, language=brand.language)
    return render(brand, trigger, ack_template.SAMPLE_TICKETS[0], **SAMPLE_EXTRAS)


def check(template: str) -> str | None:
    """Why a trigger's text cannot be used, or None when it renders for every sample ticket."""
    for sample in ack_template.SAMPLE_TICKETS:
        try:
            template_sandbox.render(template, values(sample, "Acme", **SAMPLE_EXTRAS))
        except Exception as exc:
            detail = f": {exc}" if str(exc) else ""
            return f"{type(exc).__name__}{detail} (with a sample ticket #{sample.id})"[:500]
    return None


def save_trigger(deps: Deps, brand_id: str, trigger: Trigger, *, enabled: bool, template: str | None) -> Brand:
    """Turn a brand's trigger on or off and set its text (empty: the built-in one); a text is refused, with the
    reason, unless it renders for every sample ticket. The acknowledgement's text stays the brand's
    `ack_template` (services/ack_template.py): `template` is not used for it."""
    text = (template or "").replace("\r\n", "\n").strip() or None
    if trigger == Trigger.REQUEST_RECEIVED:
        text = None
    if text is not None and len(text) > ack_template.MAX_TEMPLATE_CHARS:
        raise ActionRefused(said("The template is too long (at most %(most)s characters).",
                                 most=ack_template.MAX_TEMPLATE_CHARS))
    problem = check(text) if text is not None else None
    if problem:
        raise ActionRefused(said("The template does not render: %(problem)s", problem=problem))

    def work(uow: ConnectionUnit) -> Brand:
        brand = uow.get_brand(brand_id) or Brand(id=brand_id, name="Default brand" if brand_id == "default"
                                                 else brand_id)
        brand.triggers = {**brand.triggers, trigger.value: TriggerSetting(enabled=enabled, template=text)}
        uow.put_brand(brand)
        return brand

    brand = deps.store.atomically(work)
    deps.brands.forget()
    return brand


def describe(brand: Brand, trigger: Trigger) -> str:
    """For the audit log: on or off, and whose text."""
    return f"{trigger.value}: {'on' if is_on(brand, trigger) else 'off'}, " + (
        "own text" if template_of(brand, trigger) else "the built-in text")
