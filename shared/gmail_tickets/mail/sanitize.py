"""The HTML shown to agents: bounded (html_bound), then an nh3 (ammonia) allowlist of formatting tags, safe links
and images that load nothing from outside.

Kept: formatting, lists, tables, links to http/https/mailto, images from `cid:` (left exactly as written, so the web
view can map them to stored attachments). A remote https image keeps its address only as `data-remote-src`, which
no browser loads: a tracking pixel would tell the sender when and from where an agent read the mail, so the
console loads remote images only when the agent asks (web/comment_html.py). Dropped: scripts, styles, event
handlers, forms, iframes, comments, and every other URL scheme (http images too: they are mixed content).

This runs once, when a mail is recorded; the result is stored (Comment.body_html) and the console shows it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import nh3

from gmail_tickets.mail import html_bound

REMOTE_SRC = "data-remote-src"
_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd", "del", "div",
    "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "q",
    "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "tt", "u", "ul",
}
_CELL = {"colspan", "rowspan", "align", "valign"}
_ATTRIBUTES = {
    "*": {"dir", "lang", "title"},
    "a": {"href"},
    "img": {"src", REMOTE_SRC, "alt", "width", "height"},
    "td": _CELL,
    "th": _CELL | {"scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type"},
    "li": {"value"},
    "table": {"border", "cellpadding", "cellspacing"},
}
_HREF_SCHEMES = ("http:", "https:", "mailto:")
_MAX_PASSES = 3


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Per-tag URL schemes, which nh3's single url_schemes set cannot express (nor does it check data-*)."""
    url = value.strip().lower()
    if attribute == "src":
        return value if tag == "img" and url.startswith("cid:") else None
    if attribute == REMOTE_SRC:
        return value if tag == "img" and url.startswith("https:") else None
    if attribute == "href":
        return value if url.startswith(_HREF_SCHEMES) else None
    return value


def _neutralise_remote(tag: str, attribute: str, value: str) -> tuple[str, str] | None:
    """An image's src that is not `cid:` moves to data-remote-src, before nh3 sees it (nh3 cannot rename)."""
    if tag != "img" or attribute not in ("src", REMOTE_SRC):
        return attribute, value
    inline = attribute == "src" and value.strip().lower().startswith("cid:")
    return ("src" if inline else REMOTE_SRC), value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style", "title", "template"},
    attributes=_ATTRIBUTES,
    attribute_filter=_attribute_filter,
    url_schemes={"http", "https", "mailto", "cid"},
    url_relative="deny",
    link_rel="noopener noreferrer",
    strip_comments=True,
)


@dataclass(frozen=True)
class Sanitized:
    html: str
    problems: list[str]  # what bounding did (flattened, cut), for the mail's `problems`


def sanitize(markup: str, where: str = "the HTML") -> Sanitized:
    """Bounded, then sanitized HTML, cleaned until stable so that cleaning it again changes nothing."""
    bounded = html_bound.bound(markup, _neutralise_remote)
    for candidate in (bounded.markup, nh3.clean(bounded.markup, tags=set())):
        result = _stable(candidate)
        if result is not None:
            return Sanitized(result, bounded.problems(where))
    return Sanitized("", bounded.problems(where))  # pragma: no cover - plain escaped text is always stable


def clean(markup: str) -> str:
    return sanitize(markup).html


def _stable(markup: str) -> str | None:
    result = _CLEANER.clean(markup)
    for _ in range(_MAX_PASSES):
        again = _CLEANER.clean(result)
        if again == result:
            return result
        result = again
    return None
