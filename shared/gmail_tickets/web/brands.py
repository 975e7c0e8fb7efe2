"""The Brands page: each brand's acknowledgement template (the mail a new ticket's requester gets), and its
triggers (domain/triggers.py), each on or off with its own text and a preview of it for a sample ticket.

A template that does not render for every sample ticket is refused with the reason and the draft shown again,
so an admin never loses what they typed. One that failed later for a real ticket (whose requester then got the
built-in text) says so here, with the ticket, until its text is changed.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gmail_tickets.domain.model import Brand
from gmail_tickets.domain.triggers import TITLES, Trigger, is_on, template_of
from gmail_tickets.errors import ActionRefused
from gmail_tickets.services import ack_template, audit, trigger_templates
from gmail_tickets.services.deps import Deps
from gmail_tickets.web import access
from gmail_tickets.web.i18n import LANGUAGE_NAMES
from gmail_tickets.web.labels import label, refusal

bp = Blueprint("brands", __name__)

DEFAULT_BRAND = "default"
TEMPLATE_VARIABLES = (
    ("ticket_id", _l("the ticket's number")),
    ("subject", _l("the subject of the customer's mail")),
    ("requester", _l("the customer's address")),
    ("requester_name", _l("the customer's name, when their mail gave one (may be empty)")),
    ("brand", _l("the brand's name")),
)
MAX_TEMPLATE_CHARS = ack_template.MAX_TEMPLATE_CHARS
MAX_FORM_BYTES = 256 * 1024  # 10,000 characters of any script, form-encoded (up to 12 bytes each), with room


def _deps() -> Deps:
    return current_app.extensions["gmail_tickets.deps"]


def _brands() -> list[Brand]:
    """Every stored brand, and the default one even before anyone saved it: new tickets use it."""
    brands = _deps().store.list_brands()
    if not any(b.id == DEFAULT_BRAND for b in brands):
        brands.append(Brand(id=DEFAULT_BRAND, name="Default brand"))
    return sorted(brands, key=lambda b: (b.id != DEFAULT_BRAND, b.name.lower(), b.id))


def _page(*, failed: str | None = None, draft: str = "", error: str = "",
          failed_trigger: tuple[str, str] | None = None) -> str:
    """The page; `failed` (a brand) or `failed_trigger` (a brand and trigger) shows `draft` again with `error`."""
    brands = _brands()
    return render_template("brands.html", brands=brands, failed=failed, draft=draft, error=error,
                           failures={b.id: ack_template.current_failure(b) for b in brands},
                           default_template=ack_template.DEFAULT_ACK_TEMPLATE, builtin=ack_template.builtin,
                           variables=TEMPLATE_VARIABLES,
                           max_chars=MAX_TEMPLATE_CHARS, triggers=list(Trigger), titles=TITLES, is_on=is_on,
                           template_of=template_of, preview=trigger_templates.preview,
                           defaults=trigger_templates.DEFAULTS, extra_variables=trigger_templates.EXTRA_VARIABLES,
                           failed_trigger=failed_trigger)


def _brand(brand_id: str) -> Brand:
    brand = next((b for b in _brands() if b.id == brand_id), None)
    if brand is None:
        abort(404)
    return brand


@bp.get("/brands")
def list_brands() -> str:
    return _page()


@bp.post("/brands/<brand_id>/acknowledgement")
def save_acknowledgement(brand_id: str) -> Response | tuple[str, int]:
    """Save (or, empty, reset to the built-in) one brand's template; refused ones come back with the draft."""
    brand = _brand(brand_id)
    draft = request.form.get("template", "")
    try:
        saved = ack_template.save_ack_template(_deps(), brand.id, draft)
    except ActionRefused as error:
        flash(_("Not saved: %(error)s", error=refusal(error)), "error")
        return _page(failed=brand.id, draft=draft, error=refusal(error)), 400
    audit.record(_deps(), access.actor(), "brand.template", brand.id,
                 "own text" if saved.ack_template else "the built-in text")
    if saved.ack_template:
        flash(_("Saved the acknowledgement for %(brand)s.", brand=brand.name), "success")
    else:
        flash(_("%(brand)s now uses the built-in acknowledgement.", brand=brand.name), "success")
    return redirect(url_for("brands.list_brands"))  # type: ignore[return-value]


@bp.post("/brands/<brand_id>/triggers/<trigger>")
def save_trigger(brand_id: str, trigger: str) -> Response | tuple[str, int]:
    """Turn one of a brand's triggers on or off and save its text; a refused text comes back as the draft."""
    brand = _brand(brand_id)
    which = next((t for t in Trigger if t.value == trigger), None)
    if which is None:
        abort(404)
    draft = request.form.get("template", "")
    try:
        saved = trigger_templates.save_trigger(_deps(), brand.id, which, enabled=request.form.get("enabled") == "on",
                                               template=draft)
    except ActionRefused as error:
        flash(_("Not saved: %(error)s", error=refusal(error)), "error")
        return _page(failed_trigger=(brand.id, which.value), draft=draft, error=refusal(error)), 400
    audit.record(_deps(), access.actor(), "brand.trigger", brand.id, trigger_templates.describe(saved, which))
    flash(_("Saved “%(trigger)s” for %(brand)s: %(state)s.", trigger=label(TITLES[which]), brand=brand.name,
            state=_("on") if is_on(saved, which) else _("off")), "success")
    return redirect(url_for("brands.list_brands") + f"#trigger-{brand.id}-{which.value}")  # type: ignore[return-value]


@bp.post("/brands/<brand_id>/language")
def save_language(brand_id: str) -> Response:
    """The language of the brand's built-in notification texts (acknowledgement and triggers)."""
    brand = _brand(brand_id)
    try:
        saved = ack_template.save_language(_deps(), brand.id, request.form.get("language", ""))
    except ActionRefused as error:
        flash(_("Not saved: %(error)s", error=refusal(error)), "error")
        return redirect(url_for("brands.list_brands"))  # type: ignore[return-value]
    audit.record(_deps(), access.actor(), "brand.language", brand.id, saved.language)
    flash(_("The built-in texts of %(brand)s are now in %(language)s.", brand=brand.name,
            language=LANGUAGE_NAMES[saved.language]), "success")
    return redirect(url_for("brands.list_brands") + f"#language-{brand.id}")  # type: ignore[return-value]
