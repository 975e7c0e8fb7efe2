"""/api/v1/uploads: a file for a reply or note to carry (Zendesk's shape). The body is the file's bytes, its
Content-Type the file's type, `?filename=` its name; the answer's token goes in a comment's `uploads`."""

from __future__ import annotations

from flask import request

from gmail_tickets.services import api_uploads
from gmail_tickets.services.reply_files import MAX_REPLY_BYTES, FilesRefused
from gmail_tickets.web.api.calls import Answer, Call
from gmail_tickets.web.api.models import UploadOut, UploadQuery
from gmail_tickets.web.api.problems import refused_field
from gmail_tickets.web.api.registry import REGISTRY


@REGISTRY.add("POST", "/uploads", summary="Upload a file for a comment", tag="uploads", query=UploadQuery,
              response=UploadOut, status=201, upload_limit=MAX_REPLY_BYTES)
def upload_file(call: Call) -> Answer:
    """Keep one file (at most 10 MB; 413 beyond) and answer its token, which a reply or note then names in
    `uploads`. The token works for your own comments only, for an hour."""
    q: UploadQuery = call.query
    try:
        token, ref = api_uploads.upload(call.deps, call.agent.email, q.filename, request.mimetype, call.body)
    except (api_uploads.UploadRefused, FilesRefused) as error:
        raise refused_field("body", str(error)) from error
    return Answer(UploadOut(token=token, filename=ref.filename, content_type=ref.content_type, size=ref.size,
                            expires_at=ref.expires_at), 201)
