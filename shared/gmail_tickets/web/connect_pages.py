"""Connecting Gmail: the form that says what connecting does (which mail becomes tickets, the label, the access
asked and why, Google's Limited Use disclosure), reconnecting with the brand shown and changeable, Google's answer,
and the import's progress as JSON for the list page's small poller (static/import_progress.js).
"""

from __future__ import annotations

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _

from gmail_tickets.domain.said import said
from gmail_tickets.errors import ConnectRefused
from gmail_tickets.ports import GMAIL_SCOPE
from gmail_tickets.services import audit, oauth_connect
from gmail_tickets.services.connect import IMPORT_RECENT_LIMIT
from gmail_tickets.web import access, auth
from gmail_tickets.web.address_common import back, bp, brand_from_form, brands, console, deps, known, oauth
from gmail_tickets.web.labels import label, refusal

LIMITED_USE_URL = ("https://developers.google.com/terms/api-services-user-data-policy"
                   "#additional_requirements_for_specific_api_scopes")


def access_denied(error: str) -> str:
    return label(said("Google did not grant access (%(error)s): nothing was connected. If you cancelled on purpose, "
                      "nothing else is needed; otherwise connect again and allow the access asked for.", error=error))


def _page_facts() -> dict[str, object]:
    return {"import_count": IMPORT_RECENT_LIMIT, "label": deps().settings.label_name, "scope": GMAIL_SCOPE,
            "limited_use_url": LIMITED_USE_URL, "brands": brands()}


@bp.get("/addresses/connect")
def connect_form() -> str:
    return render_template("connect.html", **_page_facts())


@bp.post("/addresses/connect")
def connect() -> Response:
    return _start(request.form.get("address", ""), brand_id=brand_from_form(request.form.get("brand")),
                  import_recent=request.form.get("import_recent") == "on", reconnect=False)


@bp.get("/addresses/<address>/reconnect")
def reconnect_form(address: str) -> str:
    address = known(address)
    connection = deps().store.get_connection(address)
    return render_template("reconnect.html", address=address,
                           brand_id=connection.brand_id if connection else "default", **_page_facts())


@bp.post("/addresses/<address>/reconnect")
def reconnect(address: str) -> Response:
    address = known(address)
    connection = deps().store.get_connection(address)
    current = connection.brand_id if connection else "default"
    return _start(address, brand_id=brand_from_form(request.form.get("brand"), current), import_recent=False,
                  reconnect=True)


def _start(address: str, *, brand_id: str, import_recent: bool, reconnect: bool) -> Response:
    setup = oauth()
    try:
        url = oauth_connect.start_connect(
            deps(), session_id=auth.session_id(), address=address, brand_id=brand_id, import_recent=import_recent,
            redirect_uri=url_for("addresses.oauth_callback", _external=True), auth_uri=setup.auth_uri,
            client_id=setup.client_id, reconnect=reconnect,
        )
    except ConnectRefused as error:
        flash(refusal(error), "error")
        return redirect(url_for("addresses.connect_form"))  # type: ignore[return-value]
    return redirect(url)  # type: ignore[return-value]


@bp.get("/oauth/callback")
def oauth_callback() -> Response:
    if request.args.get("error"):
        return back(access_denied(request.args["error"][:64]), "error")
    before = {c.address: c.brand_id for c in deps().store.list_connections()}
    try:
        connection = oauth_connect.finish_connect(
            deps(), session_id=auth.session_id(), state=request.args.get("state", ""),
            code=request.args.get("code", ""), oauth=oauth().client, watch=console().gmail_push,
        )
    except ConnectRefused as error:
        return back(refusal(error), "error")
    address = connection.address
    audit.record(deps(), access.actor(), "mailbox.connect", address, f"brand {connection.brand_id}")
    if address in before and before[address] != connection.brand_id:
        audit.record(deps(), access.actor(), "mailbox.brand", address, f"{before[address]} → {connection.brand_id}")
    if address in before:
        return back(_("Reconnected %(address)s. Mail that came while it was disconnected is brought in now; its "
                      "tickets get the brand %(brand)s.", address=address, brand=_brand_name(connection.brand_id)),
                    "success")
    if connection.import_total:
        return back(_("Connected %(address)s. Importing %(count)s mails now: the progress shows below.",
                      address=address, count=format_number(connection.import_total)), "success")
    return back(_("Connected %(address)s. There was no mail to import.", address=address), "success")


def _brand_name(brand_id: str) -> str:
    return dict(brands()).get(brand_id, brand_id)


@bp.get("/addresses/import-progress")
def import_progress() -> Response:
    """Every connection's initial import, from one read of the connections: what the list page's poller shows."""
    imports = [{"address": c.address, "done": min(c.import_done, c.import_total), "total": c.import_total,
                "running": c.import_done < c.import_total and c.is_active}
               for c in deps().store.list_connections() if c.import_total]
    response = jsonify({"imports": imports})
    response.headers["Cache-Control"] = "no-store"
    return response
