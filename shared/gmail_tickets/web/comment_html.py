"""A comment's HTML as the console shows it.

The stored HTML was sanitized at import, but the page trusts no stored markup: it is cleaned by nh3 again here
(a store written by an older, laxer version, or edited by hand, cannot smuggle script in), and only then are the
`cid:` image sources pointed at this ticket's attachment route.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

from markupsafe import Markup, escape

from gmail_tickets.domain.model import Attachment
from gmail_tickets.mail import sanitize

_CID_SRC = re.compile(r'src="cid:([^"]*)"', re.IGNORECASE)


def render(body_html: str, attachments: list[Attachment], url_for_key: Callable[[str], str]) -> Markup:
    """Sanitized HTML with `cid:` images resolved; an unknown cid loses its src rather than leaking a request."""
    by_cid = {
        a.content_id.strip("<>").lower(): a.blob_key for a in attachments if a.content_id and a.blob_key
    }
    cleaned = sanitize.clean(body_html)

    def resolve(match: re.Match[str]) -> str:
        cid = unquote(match.group(1).replace("&amp;", "&")).strip("<>").lower()
        key = by_cid.get(cid)
        return f'src="{escape(url_for_key(key))}"' if key else 'data-missing-cid=""'

    return Markup(_CID_SRC.sub(resolve, cleaned))  # nh3 output, cleaned just above
