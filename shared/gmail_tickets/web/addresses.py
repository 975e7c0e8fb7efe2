"""Admin pages for support addresses: list with health, connect (OAuth), disconnect, reconnect, default, delete,
send via Gmail. Thin on purpose: parse the form, call one account use case, then render or redirect with a flash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, flash, redirect, render_template, request, url_for

from gmail_tickets.errors import ActionRefused, ConnectRefused
from gmail_tickets.services import accounts, audit, mailbox_health, oauth_connect, relay_dns
from gmail_tickets.services.connect import IMPORT_RECENT_LIMIT
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.oauth_setup import OAuthSetup
from gmail_tickets.web import access, auth
from gmail_tickets.web.console_deps import ConsoleDeps

bp = Blueprint("addresses", __name__)

KIND_LABELS = {"gmail_connector": "Gmail (connected)", "forwarding": "Forwarding"}


def install(app: Flask, console: ConsoleDeps) -> None:
    app.extensions["gmail_tickets.console"] = console
    app.register_blueprint(bp)


def _deps() -> Deps:
    return current_app.extensions["gmail_tickets.deps"]


def _console() -> ConsoleDeps:
    return current_app.extensions["gmail_tickets.console"]


def _oauth() -> OAuthSetup:
    setup = _console().oauth
    if setup is None:
        abort(503, "No OAuth client is configured for connecting Gmail.")
    return setup


def _back(message: str, category: str = "info") -> Response:
    flash(message, category)
    return redirect(url_for("addresses.list_addresses"))  # type: ignore[return-value]


def _known(address: str) -> str:
    """A support address or connection we have; anything else is a 404, not a use case error."""
    address = address.strip().lower()
    known = {a.address for a in _deps().store.list_support_addresses()} | {
        c.address for c in _deps().store.list_connections()}
    if address not in known:
        abort(404)
    return address


def _brands() -> list[tuple[str, str]]:
    brands = [(b.id, b.name) for b in _deps().store.list_brands() if b.id != "default"]
    return [("default", "Default brand"), *brands]


@bp.get("/addresses")
def list_addresses() -> str:
    rows = mailbox_health.health(_deps())
    spf_include = _console().relay_spf_include
    guidance: dict[str, Any] = {}
    for row in rows:
        if row.status != "forwarding" and not row.send_via_gmail and spf_include:
            guidance[row.address] = relay_dns.relay_dns_guidance(
                _deps(), row.address.rpartition("@")[2], spf_include=spf_include)
    return render_template("addresses.html", rows=rows, guidance=guidance, relay=bool(spf_include),
                           kinds=KIND_LABELS)


@bp.get("/addresses/connect")
def connect_form() -> str:
    return render_template("connect.html", brands=_brands(), import_count=IMPORT_RECENT_LIMIT)


@bp.post("/addresses/connect")
def connect() -> Response:
    brand_id = request.form.get("brand", "default")
    if brand_id not in {i for i, _ in _brands()}:
        brand_id = "default"
    return _start(request.form.get("address", ""), brand_id=brand_id,
                  import_recent=request.form.get("import_recent") == "on", reconnect=False)


@bp.post("/addresses/<address>/reconnect")
def reconnect(address: str) -> Response:
    address = _known(address)
    connection = _deps().store.get_connection(address)
    return _start(address, brand_id=connection.brand_id if connection else "default", import_recent=False,
                  reconnect=True)


def _start(address: str, *, brand_id: str, import_recent: bool, reconnect: bool) -> Response:
    setup = _oauth()
    try:
        url = oauth_connect.start_connect(
            _deps(), session_id=auth.session_id(), address=address, brand_id=brand_id, import_recent=import_recent,
            redirect_uri=url_for("addresses.oauth_callback", _external=True), auth_uri=setup.auth_uri,
            client_id=setup.client_id, reconnect=reconnect,
        )
    except ConnectRefused as error:
        flash(str(error), "error")
        return redirect(url_for("addresses.connect_form"))  # type: ignore[return-value]
    return redirect(url)  # type: ignore[return-value]


@bp.get("/oauth/callback")
def oauth_callback() -> Response:
    if request.args.get("error"):
        return _back(f"Google did not grant access ({request.args['error']}). Nothing was connected.", "error")
    try:
        connection = oauth_connect.finish_connect(
            _deps(), session_id=auth.session_id(), state=request.args.get("state", ""),
            code=request.args.get("code", ""), oauth=_oauth().client, watch=_console().gmail_push,
        )
    except ConnectRefused as error:
        return _back(str(error), "error")
    audit.record(_deps(), access.actor(), "mailbox.connect", connection.address, f"brand {connection.brand_id}")
    importing = " Importing its mail now: the progress shows below." if connection.import_total else ""
    return _back(f"Connected {connection.address}.{importing}", "success")


def _act(done: str, action: Callable[[], object], audit_action: str, target: str, detail: str = "") -> Response:
    """Run an admin action; once it succeeded, the audit log says who did it."""
    try:
        action()
    except ActionRefused as error:
        return _back(str(error), "error")
    audit.record(_deps(), access.actor(), audit_action, target, detail)
    return _back(done, "success")


@bp.post("/addresses/<address>/disconnect")
def disconnect(address: str) -> Response:
    address = _known(address)
    return _act(f"Disconnected {address}: its mail is not imported until you reconnect it.",
                lambda: accounts.disconnect(_deps(), address, oauth=_oauth().client), "mailbox.disconnect", address)


@bp.post("/addresses/<address>/default")
def make_default(address: str) -> Response:
    address = _known(address)
    return _act(f"{address} is now the default address.", lambda: accounts.make_default(_deps(), address),
                "mailbox.default", address)


@bp.post("/addresses/<address>/send-via-gmail")
def send_via_gmail(address: str) -> Response:
    address = _known(address)
    on = request.form.get("enabled") == "on"
    done = f"{address} sends through Gmail again." if on else f"{address} now sends through the mail relay."
    return _act(done, lambda: accounts.set_send_via_gmail(_deps(), address, on), "mailbox.send_setting", address,
                "via Gmail" if on else "via the mail relay")


@bp.get("/addresses/<address>/delete")
def delete_confirm(address: str) -> str:
    return render_template("delete.html", address=_known(address))


@bp.post("/addresses/<address>/delete")
def delete(address: str) -> Response:
    address = _known(address)
    return _act(f"Deleted {address}.", lambda: accounts.delete_address(_deps(), address), "mailbox.delete", address)
