"""The suspended mail page: mail kept but not made a ticket, newest first, and, per row, what an agent does with
it — Recover (services/suspended_mail.py: the ticket or comment it would have been, once) or Delete. Routes on
the tickets blueprint (endpoints `tickets.*`, as access.AGENT_ENDPOINTS names them): agents recover, as in
Zendesk, since they are the ones who tell a customer's mail from an auto-reply."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from gmail_tickets.services import suspended_mail
from gmail_tickets.services.deps import Deps
from gmail_tickets.web import access
from gmail_tickets.web.labels import refusal
from gmail_tickets.web.paging import link, page_request
from gmail_tickets.web.tickets import bp


def _deps() -> Deps:
    return current_app.extensions["gmail_tickets.deps"]


@bp.get("/suspended")
def suspended() -> str:
    store = _deps().store
    page = store.suspended_page(page_request())
    return render_template("suspended.html", held=[s for s in page.items if s.duplicate_of_ticket is None],
                           copies=[s for s in page.items if s.duplicate_of_ticket is not None],
                           total=store.count_suspended(), links=link(page, "tickets.suspended"))


def _back() -> Response:
    """To the page the agent acted on (its cursor kept), POST/redirect/GET: a reload repeats nothing."""
    cursor = request.form.get("cursor", "")
    return redirect(url_for("tickets.suspended", **({"cursor": cursor} if cursor else {})), 303)  # type: ignore[return-value]


@bp.post("/suspended/<record_id>/recover")
def recover_suspended(record_id: str) -> Response:
    try:
        done = suspended_mail.recover(_deps(), record_id, actor=access.actor())
    except (suspended_mail.SuspendedNotFound, suspended_mail.RecoveryRefused) as error:
        flash(refusal(error), "error")
        return _back()
    sender = done.record.sender
    flash(_("Mail from %(sender)s recovered: it is now ticket #%(ticket)s.", sender=sender, ticket=done.ticket_id)
          if done.new_ticket else
          _("Mail from %(sender)s recovered onto ticket #%(ticket)s.", sender=sender, ticket=done.ticket_id),
          "success")
    return _back()


@bp.post("/suspended/<record_id>/delete")
def delete_suspended(record_id: str) -> Response:
    try:
        suspended_mail.delete(_deps(), record_id, actor=access.actor())
    except (suspended_mail.SuspendedNotFound, suspended_mail.RecoveryRefused) as error:
        flash(refusal(error), "error")
        return _back()
    flash(_("Suspended mail deleted."), "success")
    return _back()
