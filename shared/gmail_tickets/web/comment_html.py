"""A comment's HTML as the console shows it.

The stored HTML was sanitized once, when the mail was recorded (mail/sanitize.py, bounded in depth and size
first), and is shown as stored: sanitizing again on every view cost as much as ingesting (55 s to open one
hostile ticket). Script could not run even from markup that slipped through: the page's Content-Security-Policy
forbids it. What the view changes it changes in one linear pass over the image tags: `cid:` sources point at this
ticket's attachment route, remote images (kept as `data-remote-src`) get their `src` back only when the agent
asked to show images, and an image without alt text gets an empty one (a screen reader then skips it instead of
reading out its file name or address).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

from markupsafe import Markup, escape

from gmail_tickets.domain.model import Attachment
from gmail_tickets.mail.sanitize import REMOTE_SRC

# nh3 writes every attribute double-quoted and escapes ">" in values and "<" in text, so an image tag is exactly
# "<img" up to the next ">", and its attributes are name="value" pairs.
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_CID_SRC = re.compile(r'\bsrc="cid:([^"]*)"', re.IGNORECASE)
_REMOTE_SRC = re.compile(rf'\b{REMOTE_SRC}="', re.IGNORECASE)
_ALT = re.compile(r'\balt="', re.IGNORECASE)


def has_remote_images(body_html: str) -> bool:
    return _REMOTE_SRC.search(body_html) is not None


def render(body_html: str, attachments: list[Attachment], url_for_key: Callable[[str], str], *,
           remote_images: bool = False) -> Markup:
    """The stored HTML with `cid:` images resolved (an unknown cid loses its src rather than leaking a request) and,
    with `remote_images`, remote images given their source back."""
    by_cid = {
        a.content_id.strip("<>").lower(): a.blob_key for a in attachments if a.content_id and a.blob_key
    }

    def resolve(match: re.Match[str]) -> str:
        cid = unquote(match.group(1).replace("&amp;", "&")).strip("<>").lower()
        key = by_cid.get(cid)
        return f'src="{escape(url_for_key(key))}"' if key else 'data-missing-cid=""'

    def image(match: re.Match[str]) -> str:
        tag = _CID_SRC.sub(resolve, match.group())
        if not _ALT.search(tag):
            tag = tag[:4] + ' alt=""' + tag[4:]
        return _REMOTE_SRC.sub('src="', tag) if remote_images else tag

    return Markup(_IMG.sub(image, body_html))  # sanitized when the mail was recorded
