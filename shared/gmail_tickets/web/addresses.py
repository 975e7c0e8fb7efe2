"""Admin pages for support addresses: the list with health, limits and DNS guidance, and the actions (disconnect
and delete behind a page that says what they do, default, brand, send via Gmail). Connecting is connect_pages.py.
Thin on purpose: parse the form, call one account use case, then render or redirect with a flash. An action that
cannot apply is shown disabled with its reason (domain/address_actions.py), the same words the service refuses with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gmail_tickets.domain import address_actions
from gmail_tickets.errors import ActionRefused, TransientError
from gmail_tickets.services import accounts, audit, mailbox_health, relay_dns
from gmail_tickets.services.send_notification import SEND_LIMIT_WARNING
from gmail_tickets.web import access, connect_pages  # noqa: F401  (connect_pages adds its routes to the blueprint)
from gmail_tickets.web.address_common import back, bp, brands, console, deps, known, oauth
from gmail_tickets.web.console_deps import ConsoleDeps
from gmail_tickets.web.labels import refusal

KIND_LABELS = {"gmail_connector": _l("Gmail (connected)"), "forwarding": _l("Forwarding")}


def install(app: Flask, console_deps: ConsoleDeps) -> None:
    app.extensions["gmail_tickets.console"] = console_deps
    app.register_blueprint(bp)


def _guidance(address: str) -> relay_dns.RelayDnsGuidance | None:
    spf_include = console().relay_spf_include
    if not spf_include:
        return None
    return relay_dns.relay_dns_guidance(deps(), address.rpartition("@")[2], spf_include=spf_include)


@bp.get("/addresses")
def list_addresses() -> str:
    rows = mailbox_health.health(deps())
    guidance: dict[str, Any] = {r.address: _guidance(r.address) for r in rows if r.status != "forwarding"}
    return render_template("addresses.html", rows=rows, guidance=guidance, relay=bool(console().relay_spf_include),
                           kinds=KIND_LABELS, brands=brands(), limit_warning=SEND_LIMIT_WARNING)


@bp.get("/addresses/<address>/dns")
def dns_records(address: str) -> str | tuple[str, int]:
    """The records a domain address needs for the relay; `?check=1` looks them up now."""
    address = known(address)
    guidance = _guidance(address)
    checks, problem = None, None
    lookup = console().dns_lookup
    if guidance is not None and request.args.get("check") and lookup is not None:
        try:
            checks = relay_dns.check_dns(guidance, lookup, spf_include=console().relay_spf_include or "")
        except TransientError as error:
            problem = _("DNS could not be asked just now (%(error)s). Try again in a minute.", error=str(error))
    return render_template("dns.html", address=address, guide=guidance, checks=checks, problem=problem,
                           can_check=lookup is not None)


def _act(done: str, action: Callable[[], object], audit_action: str, target: str, detail: str = "") -> Response:
    """Run an admin action; once it succeeded, the audit log says who did it."""
    try:
        action()
    except ActionRefused as error:
        return back(refusal(error), "error")
    audit.record(deps(), access.actor(), audit_action, target, detail)
    return back(done, "success")


@bp.get("/addresses/<address>/disconnect")
def disconnect_confirm(address: str) -> str:
    address = known(address)
    return render_template("disconnect.html", address=address,
                           refusal=address_actions.disconnect_refusal(accounts.state_of(deps(), address)))


@bp.post("/addresses/<address>/disconnect")
def disconnect(address: str) -> Response:
    address = known(address)
    return _act(_("Disconnected %(address)s: its mail does not become tickets until you reconnect it; replies on "
                  "its tickets go out through the mail relay.", address=address),
                lambda: accounts.disconnect(deps(), address, oauth=oauth().client), "mailbox.disconnect", address)


@bp.post("/addresses/<address>/default")
def make_default(address: str) -> Response:
    address = known(address)
    return _act(_("%(address)s is now the default address.", address=address),
                lambda: accounts.make_default(deps(), address), "mailbox.default", address)


@bp.post("/addresses/<address>/brand")
def change_brand(address: str) -> Response:
    address = known(address)
    brand_id = request.form.get("brand", "")
    names = dict(brands())
    try:
        before = accounts.set_brand(deps(), address, brand_id)
    except ActionRefused as error:
        return back(refusal(error), "error")
    if before is None:
        return back(_("%(address)s has the brand %(brand)s already.", address=address,
                      brand=names.get(brand_id, brand_id)))
    audit.record(deps(), access.actor(), "mailbox.brand", address, f"{before} → {brand_id}")
    return back(_("New tickets from %(address)s get the brand %(brand)s; existing tickets keep theirs.",
                  address=address, brand=names.get(brand_id, brand_id)), "success")


@bp.post("/addresses/<address>/send-via-gmail")
def send_via_gmail(address: str) -> Response:
    address = known(address)
    on = request.form.get("enabled") == "on"
    done = (_("%(address)s sends through Gmail again.", address=address) if on else
            _("%(address)s now sends through the mail relay.", address=address))
    return _act(done, lambda: accounts.set_send_via_gmail(deps(), address, on), "mailbox.send_setting", address,
                "via Gmail" if on else "via the mail relay")


@bp.get("/addresses/<address>/delete")
def delete_confirm(address: str) -> str:
    address = known(address)
    return render_template("delete.html", address=address,
                           refusal=address_actions.delete_refusal(accounts.state_of(deps(), address)))


@bp.post("/addresses/<address>/delete")
def delete(address: str) -> Response:
    address = known(address)
    return _act(_("Deleted %(address)s. Its tickets are kept.", address=address),
                lambda: accounts.delete_address(deps(), address), "mailbox.delete", address)
