"""Agent pages: one ticket with its comments, files, notifications, the requester's other tickets and the reply
box. The lists (ticket views, requesters, suspended mail, quarantine) are in ticket_lists.py, on this blueprint."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.datastructures import FileStorage

from gmail_tickets.domain import triggers
from gmail_tickets.domain.model import Attachment, Comment
from gmail_tickets.domain.reply_target import reply_target
from gmail_tickets.mail.parse import AttachmentInfo
from gmail_tickets.services import agent_reply, reply_files, ticket_changes, ticket_list
from gmail_tickets.services.deps import Deps
from gmail_tickets.services.reply_files import MAX_REPLY_BYTES, MAX_REPLY_FILES
from gmail_tickets.web import access, auth, comment_html, ticket_edit
from gmail_tickets.web.labels import refusal

bp = Blueprint("tickets", __name__)

# Image types a browser may show inline from our origin. Never SVG or HTML: those can carry script.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

REPLY_REQUEST_LIMIT = 2 * MAX_REPLY_BYTES + 256 * 1024
"""The reply form's body limit (the console's other forms keep 64 KiB). Beyond MAX_REPLY_BYTES, not at it: files
somewhat over the limit still arrive, so the agent gets the page back with the reason and the draft kept; only far
larger uploads are cut off with the bare "too large" page."""
REMOTE_IMAGES = "gt_remote_images"
"""Set on `g` by a ticket page the agent asked to show remote images on: the app then lets that one response's
Content-Security-Policy load https images."""


def deps() -> Deps:
    return current_app.extensions["gmail_tickets.deps"]


@bp.get("/")
def home() -> Response:
    return redirect(url_for("tickets.list_tickets"))  # type: ignore[return-value]


@bp.get("/tickets/<int:ticket_id>")
def show_ticket(ticket_id: int) -> str:
    """Remote images stay unloaded (a tracking pixel tells its sender who read the mail, when and where) unless
    the agent follows "Show images", which is this page with `?images=1`."""
    images = request.args.get("images") == "1"
    if images:
        setattr(g, REMOTE_IMAGES, True)
    draft = auth.restored_draft(ticket_id)  # a reply kept when its session ended
    return _ticket_page(ticket_id, draft=draft, images=images)


def _ticket_page(ticket_id: int, *, draft: str = "", images: bool = False, **extra: Any) -> str:
    """The ticket with its conversation and the reply box (prefilled with `draft` when a reply was refused);
    `extra`: what a refused form shows again (ticket_edit: a conflict's changes, the fields the agent chose)."""
    ticket = deps().store.get_ticket(ticket_id)
    if ticket is None:
        abort(404)
    comments = deps().store.comments(ticket_id)

    def url_for_key(key: str) -> str:
        return url_for("tickets.attachment", ticket_id=ticket_id, key=key, inline=1)

    views: list[dict[str, Any]] = []
    for comment in comments:
        html = (comment_html.render(comment.body_html, comment.attachments, url_for_key, remote_images=images)
                if comment.body_html else None)
        views.append({"comment": comment, "html": html,
                      "files": [a for a in comment.attachments if a.blob_key and not _shown_inline(a, comment)]})
    remote = any(c.body_html and comment_html.has_remote_images(c.body_html) for c in comments)
    return render_template("ticket.html", ticket=ticket, views=views, draft=draft, remote_images=remote,
                           images_shown=images,
                           mentioned_by=deps().store.tickets_mentioning(ticket_id),
                           others=ticket_list.other_tickets(deps().store, ticket),
                           reply_target=reply_target(ticket, comments),
                           reply_to_confirmed=request.form.get("reply_to_confirmed") if draft else None,
                           notifications=deps().store.list_notifications(ticket_id=ticket_id, limit=100),
                           max_reply_chars=agent_reply.MAX_REPLY_CHARS, max_files=MAX_REPLY_FILES,
                           max_bytes=MAX_REPLY_BYTES, reply_choice=_reply_choice() if draft else {},
                           replies_mailed=triggers.is_on(deps().brands.get(deps().store, ticket.brand_id),
                                                         triggers.Trigger.COMMENT_UPDATE),
                           **ticket_edit.page_context(ticket, deps().store.list_agents()), **extra)


def _reply_choice() -> dict[str, str]:
    """The refused reply's choices, shown again with its draft."""
    return {"kind": request.form.get("kind", "public"), "submit_as": request.form.get("submit_as", "")}




@bp.post("/tickets/<int:ticket_id>/reply")
def reply(ticket_id: int) -> Response | tuple[str, int]:
    """Add the signed-in agent's reply, with any files. Refused replies show the page again with the draft kept,
    so nothing typed is lost (a browser cannot refill a file input: the message asks for the files again); added
    ones redirect (POST/redirect/GET), so a reload does not add the reply twice."""
    body = request.form.get("body", "")
    public = request.form.get("kind", "public") != "internal"
    chosen = _chosen(request.files.getlist("files"))
    again = " " + _("Choose the files again before adding the reply.") if chosen else ""
    try:
        agent_reply.check_reply(body)  # before the files are stored: a refused reply leaves no blobs behind
        files = _keep_uploads(request.files.getlist("files"))
        me = access.current()
        agent_reply.reply_as_agent(deps(), ticket_id, author=me.label, body=body,
                                   author_email=None if me.email == access.SECRET_ADMIN else me.email,
                                   signature=me.signature, attachments=files,
                                   reply_to_confirmed=request.form.get("reply_to_confirmed"),
                                   public=public, submit_as=ticket_edit.form_status(),
                                   version=ticket_edit.form_version())
    except (agent_reply.TicketNotFound, ticket_changes.NoSuchTicket):
        abort(404)
    except ticket_changes.EditConflict as conflict:
        return _ticket_page(ticket_id, draft=body, **ticket_edit.conflict_context(conflict, again)), 409
    except (agent_reply.ReplyRefused, ticket_changes.ChangeRefused) as error:
        flash(f"{refusal(error)}{again}", "error")
        return _ticket_page(ticket_id, draft=body), 400
    if not files:
        flash(_("Reply added to the ticket.") if public else _("Internal note added to the ticket."), "success")
    else:
        flash(ngettext("Reply added to the ticket with %(num)d file.", "Reply added to the ticket with %(num)d files.",
                       len(files)) if public else
              ngettext("Internal note added to the ticket with %(num)d file.",
                       "Internal note added to the ticket with %(num)d files.", len(files)), "success")
    return redirect(url_for("tickets.show_ticket", ticket_id=ticket_id))  # type: ignore[return-value]


@bp.post("/tickets/<int:ticket_id>/fields")
def update_fields(ticket_id: int) -> Response | tuple[str, int]:
    """Save the fields form (status, priority, assignee, tags), checked against the version it was rendered with."""
    changes, fields_draft = ticket_edit.field_changes()
    try:
        entries = ticket_changes.update_ticket(deps(), ticket_id, changes, actor=ticket_edit.actor(),
                                               version=ticket_edit.form_version(),
                                               actor_email=access.current().email)
    except ticket_changes.NoSuchTicket:
        abort(404)
    except ticket_changes.EditConflict as conflict:
        return _ticket_page(ticket_id, fields_draft=fields_draft, **ticket_edit.conflict_context(conflict)), 409
    except ticket_changes.ChangeRefused as error:
        flash(refusal(error), "error")
        return _ticket_page(ticket_id, fields_draft=fields_draft), 400
    flash(_("Ticket updated.") if entries else _("Nothing changed."), "success")
    return redirect(url_for("tickets.show_ticket", ticket_id=ticket_id))  # type: ignore[return-value]


def _chosen(uploads: list[FileStorage]) -> list[FileStorage]:
    """The files the agent chose: a file input left empty still sends one nameless, empty part."""
    return [u for u in uploads if u.filename]


def _keep_uploads(uploads: list[FileStorage]) -> list[Attachment]:
    """Check the agent's files against the limits (services/reply_files.py), reading no more than the limit
    allows, then keep them in the BlobStore exactly as inbound attachments are."""
    chosen = _chosen(uploads)
    reply_files.check_count(len(chosen))
    infos: list[AttachmentInfo] = []
    total = 0
    for upload in chosen:
        data = upload.stream.read(MAX_REPLY_BYTES - total + 1)
        total += len(data)
        reply_files.check_total(total)
        infos.append(reply_files.file_info(upload.filename or "", upload.mimetype, data,
                                           {i.filename for i in infos}))
    return reply_files.keep_files(deps().blobs, infos)


def _shown_inline(attachment: Attachment, comment: Comment) -> bool:
    """An inline image the HTML already shows is not listed again as a file."""
    if not (attachment.inline and attachment.content_id and comment.body_html):
        return False
    return f"cid:{attachment.content_id.strip('<>')}".lower() in comment.body_html.lower()


@bp.get("/tickets/<int:ticket_id>/attachments/<path:key>")
def attachment(ticket_id: int, key: str) -> Response:
    """A file from the blob store, only if one of this ticket's comments carries it: knowing a key is not enough
    to read another ticket's files."""
    found = next((a for c in deps().store.comments(ticket_id) for a in c.attachments if a.blob_key == key), None)
    if found is None:
        abort(404)
    try:
        data = deps().blobs.get(key)
    except KeyError:
        abort(404)
    content_type = found.content_type.lower() if found.content_type else "application/octet-stream"
    inline = request.args.get("inline") == "1" and content_type in INLINE_TYPES
    response = Response(data, mimetype=content_type if inline else _download_type(content_type))
    response.headers.set("Content-Disposition", "inline" if inline else "attachment",
                         filename=found.filename or "attachment")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def _download_type(content_type: str) -> str:
    """Downloads keep their type, except ones a browser would render as a page of our origin."""
    risky = ("text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/xml")
    return "application/octet-stream" if content_type in risky or "/" not in content_type else content_type
