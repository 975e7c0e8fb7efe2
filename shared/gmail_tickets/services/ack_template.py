"""The acknowledgement's text from a brand's template, such that no template costs a customer their
acknowledgement or holds up the mail behind it.

A template is rendered bounded (services/template_sandbox.py). Whatever stops it — Jinja's errors, but also
TypeError, ZeroDivisionError, OverflowError, RecursionError, a budget or the time running out — the customer gets
the built-in text. The failure is logged once per brand and template text (the exception's type and the ticket's
number: its message may quote the mail), and kept on the brand, in a transaction of its own off this thread (the
caller may be inside the ticket's transaction), for the Brands page. Saving a template renders it against varied
sample tickets first (`check_template`), so most failures are refused with a message before any customer meets
them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from gmail_tickets import catalogs
from gmail_tickets.catalogs import N_
from gmail_tickets.domain.model import Brand, TemplateFailure, Ticket
from gmail_tickets.domain.said import said
from gmail_tickets.errors import ActionRefused
from gmail_tickets.mail.outbound import clean_header_text
from gmail_tickets.ports import ConnectionUnit, Store
from gmail_tickets.services import template_sandbox
from gmail_tickets.services.deps import Deps

log = logging.getLogger(__name__)

DEFAULT_ACK_TEMPLATE = N_("""\
Hello {{ requester_name or "there" }},

Thank you for writing to us. We have received your request and opened ticket #{{ ticket_id }}:
"{{ subject }}".

We will answer as soon as we can, by replying to this mail. To add anything, simply reply to it.

{{ brand }}
""")
"""Variables: ticket_id, subject, requester, requester_name, brand. In the brand's language (`builtin`)."""


def builtin(template: str, language: str) -> str:
    """A built-in text in `language` (the catalog's; English as written)."""
    return catalogs.translations(language).gettext(template)

MAX_TEMPLATE_CHARS = 10_000  # what an admin may save
MAX_VALUE_CHARS = 2_000  # a subject or name longer than this reaches the template cut

SAMPLE_TICKETS: Sequence[Ticket] = (
    Ticket(subject="Printer on fire", requester="ann@example.com", connection="help@example.com",
           requester_name="Ann", id=123),
    Ticket(subject="", requester="x@example.com", connection="help@example.com", requester_name="", id=1),
    Ticket(subject="Ré: ¿Dónde está mi pedido? 注文 🚚 \u202eevil\u202c", requester="zoë@bücher.example",
           connection="help@example.com", requester_name="Zoë 山田 \"Q\" O'Brien", id=2**31),
    Ticket(subject="{{ 7*7 }} {% raw %} %s %d 100% [#42] " + "long " * 400, requester="a+b@xn--bcher-kva.example",
           connection="help@example.com", requester_name="{{ name }}", id=2**63 - 1),
    Ticket(subject="  \t line\r\nbreak\x00nul ", requester="0@0.example", connection="help@example.com",
           requester_name=" ", id=7),
)
"""Tickets a template must render for before it is saved: odd subjects, empty names, unicode, huge ids."""


def template_values(ticket: Ticket, brand_name: str) -> dict[str, object]:
    def cut(text: str | None) -> str:
        """Bounded, and without control characters: a NUL from a subject must not sink the whole mail."""
        return clean_header_text((text or "")[:MAX_VALUE_CHARS])

    return {"ticket_id": ticket.id, "subject": cut(ticket.subject), "requester": cut(ticket.requester),
            "requester_name": cut(ticket.requester_name), "brand": cut(brand_name)}


def _finish(text: str) -> str:
    return text.strip() + "\n"


def render_ack(template: str | None, *, ticket: Ticket, brand_name: str, store: Store | None = None,
               language: str = "en") -> str:
    """The acknowledgement's text; the built-in template when `template` is empty or fails in any way. With
    `store`, a failure is also kept on the ticket's brand for the Brands page. The built-in one is in `language`,
    the brand's; the brand's own text goes out as written."""
    values = template_values(ticket, brand_name)
    if template and template.strip():
        try:
            return _finish(template_sandbox.render(template, values))
        except Exception as exc:  # any failure at all: the customer still gets an acknowledgement
            _report(store, ticket, template, exc)
    return _finish(template_sandbox.render_within_budget(builtin(DEFAULT_ACK_TEMPLATE, language), values))


def check_template(template: str) -> str | None:
    """Why a template cannot be used (for the console), or None when it renders for every sample ticket."""
    for sample in SAMPLE_TICKETS:
        try:
            template_sandbox.render(template, template_values(sample, "Acme"))
        except Exception as exc:
            detail = f": {exc}" if str(exc) else ""
            return f"{type(exc).__name__}{detail} (with a sample ticket #{sample.id})"[:500]
    return None


_reported: set[tuple[str, str]] = set()  # (brand, template version) logged and recorded by this process
_reported_lock = threading.Lock()


def _report(store: Store | None, ticket: Ticket, template: str, exc: Exception) -> None:
    """Log the failure once per brand and template text, and keep it on the brand (also once)."""
    version = template_sandbox.version_of(template)
    key = (ticket.brand_id, version)
    with _reported_lock:
        if key in _reported:
            return
        _reported.add(key)
    log.warning("brand acknowledgement template failed; the built-in one was used",
                extra={"brand": ticket.brand_id, "template_version": version, "ticket_id": ticket.id,
                       "error": type(exc).__name__})
    if store is not None and ticket.id is not None:
        failure = TemplateFailure(version=version, ticket_id=ticket.id, error=type(exc).__name__,
                                  at=ticket.created_at)
        # Off this thread: the caller may hold the ticket's own transaction (SQLite's write lock) right now.
        threading.Thread(target=_record, args=(store, ticket.brand_id, failure), name="ack-template-failure",
                         daemon=True).start()


def _record(store: Store, brand_id: str, failure: TemplateFailure) -> None:
    """Keep the failure on the brand, unless its template changed meanwhile or a failure of this text is kept."""

    def work(uow: ConnectionUnit) -> None:
        brand = uow.get_brand(brand_id)
        if brand is None or template_sandbox.version_of(brand.ack_template) != failure.version:
            return
        if brand.ack_failure is not None and brand.ack_failure.version == failure.version:
            return
        brand.ack_failure = failure
        uow.put_brand(brand)

    try:
        store.atomically(work)
    except Exception as exc:  # the Brands page misses it; the log line above has it
        log.warning("could not keep the template failure on the brand",
                    extra={"brand": brand_id, "error": type(exc).__name__})
        with _reported_lock:
            _reported.discard((brand_id, failure.version))  # the next failure tries again


def current_failure(brand: Brand) -> TemplateFailure | None:
    """The brand's kept failure, if it is of the template text the brand has now."""
    failure = brand.ack_failure
    if failure is None or not brand.ack_template:
        return None
    return failure if failure.version == template_sandbox.version_of(brand.ack_template) else None


def save_ack_template(deps: Deps, brand_id: str, template: str | None) -> Brand:
    """Set (or, empty, reset to the built-in) a brand's acknowledgement text. Refused, with the reason, when it
    does not render for every sample ticket. A changed text starts without a kept failure."""
    text = (template or "").replace("\r\n", "\n").strip() or None
    if text is not None:
        if len(text) > MAX_TEMPLATE_CHARS:
            raise ActionRefused(said("The template is too long (at most %(most)s characters).",
                                     most=MAX_TEMPLATE_CHARS))
        problem = check_template(text)
        if problem:
            raise ActionRefused(said("The template does not render: %(problem)s", problem=problem))

    def work(uow: ConnectionUnit) -> Brand:
        brand = uow.get_brand(brand_id) or Brand(id=brand_id, name="Default brand" if brand_id == "default"
                                                 else brand_id)
        if brand.ack_template != text:
            brand.ack_template, brand.ack_failure = text, None
        uow.put_brand(brand)
        return brand

    brand = deps.store.atomically(work)
    deps.brands.forget()
    return brand


LANGUAGES = ("en", "de")
"""The languages of the built-in notification texts (the console's: translations/ has a catalog for each)."""


def save_language(deps: Deps, brand_id: str, language: str) -> Brand:
    """The language of a brand's built-in notification texts; the brand's own texts are left as written."""
    if language not in LANGUAGES:
        raise ActionRefused(said("There is no language %(language)s for the built-in texts.", language=repr(language)))

    def work(uow: ConnectionUnit) -> Brand:
        brand = uow.get_brand(brand_id) or Brand(id=brand_id, name="Default brand" if brand_id == "default"
                                                 else brand_id)
        brand.language = language
        uow.put_brand(brand)
        return brand

    brand = deps.store.atomically(work)
    deps.brands.forget()
    return brand
