"""Files sent through the API before the reply or note that carries them (Zendesk's shape): each upload is kept
in the BlobStore as the console keeps a reply's files (services/reply_files.py: the same names, types and limits)
and answered with a signed token (domain/upload_token.py) the comment names. The token is the only record: no
store write, any instance can check it; it works for its agent only, for UPLOAD_TOKEN_SECONDS."""

from __future__ import annotations

from collections.abc import Sequence

from gmail_tickets.domain.model import Attachment
from gmail_tickets.domain.upload_token import UploadRef, seal, unseal
from gmail_tickets.mail import filenames
from gmail_tickets.services import reply_files
from gmail_tickets.services.agent_reply import ReplyRefused
from gmail_tickets.services.deps import Deps

UPLOAD_TOKEN_SECONDS = 3600


class UploadRefused(ReplyRefused):
    """An upload or an upload token was refused; `index`: which of a comment's tokens (None: the upload)."""

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


def upload(deps: Deps, agent: str, filename: str, declared_type: str | None, data: bytes) -> tuple[str, UploadRef]:
    """Keep one file for `agent` (an email); the token that names it on a comment within the hour, and what it
    names."""
    if not data:
        raise UploadRefused("The file is empty.")
    reply_files.check_total(len(data))
    [kept] = reply_files.keep_files(deps.blobs, [reply_files.file_info(filename, declared_type, data)])
    ref = UploadRef(blob_key=kept.blob_key or "", filename=kept.filename, content_type=kept.content_type,
                    size=len(data), agent=agent.lower(),
                    expires=int(deps.clock.now().timestamp()) + UPLOAD_TOKEN_SECONDS)
    return seal(ref, deps.tokens.sign), ref


def attachments(deps: Deps, agent: str, tokens: Sequence[str]) -> list[Attachment]:
    """The files `tokens` name, as a reply's attachments, under the console's limits (count, total size), each
    name unique on the comment. Raises UploadRefused naming the token that is not `agent`'s, or has expired."""
    reply_files.check_count(len(tokens))
    now = deps.clock.now()
    refs: list[UploadRef] = []
    for index, token in enumerate(tokens):
        ref = unseal(token, deps.tokens.sign)
        if ref is None or ref.agent != agent.lower():
            raise UploadRefused("This is not an upload token of yours: upload the file with POST /uploads.", index)
        if ref.expired(now):
            raise UploadRefused("This upload token has expired: upload the file again.", index)
        refs.append(ref)
    reply_files.check_total(sum(r.size for r in refs))
    taken: set[str] = set()
    files = []
    for ref in refs:
        name = filenames.unique(ref.filename, taken)
        taken.add(name)
        files.append(Attachment(name, ref.content_type, ref.size, ref.blob_key))
    return files
