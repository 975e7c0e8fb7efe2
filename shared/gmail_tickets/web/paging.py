"""Keyset pages in the console: reading a page's cursor from the query string and linking the pages beside it,
keeping every other argument (a view's filters, another section's cursor)."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import abort, request, url_for
from flask_babel import gettext as _

from gmail_tickets.domain.paging import DEFAULT_PAGE, BadCursor, Page, PageRequest


def page_request(param: str = "cursor", *, limit: int = DEFAULT_PAGE) -> PageRequest:
    """The page `param` asks for (`limit` may be changed by ?limit=); a cursor that is not ours is refused with
    400, never guessed at."""
    with contextlib.suppress(ValueError):
        limit = int(request.args.get("limit", limit))
    try:
        return PageRequest.from_cursor(request.args.get(param), limit)
    except BadCursor:
        abort(400, _("That page link is broken: start from the first page."))


def link(page: Page[Any], endpoint: str, param: str = "cursor", **values: Any) -> dict[str, str | None]:
    """URLs of the newer and older pages (None at an end)."""
    args = {k: v for k, v in request.args.items() if k != param} | values
    return {name: url_for(endpoint, **args, **{param: cursor}) if cursor else None
            for name, cursor in (("newer", page.newer), ("older", page.older))}
