"""The HTML shown to agents: an nh3 (ammonia) allowlist of formatting tags, safe links and safe images.

Kept: formatting, lists, tables, links to http/https/mailto, images from `cid:` (left exactly as written, so the web
view can map them to stored attachments) or https. Dropped: scripts, styles, event handlers, forms, iframes,
comments, and every other URL scheme (http images too: they are trackers and mixed content).
"""

from __future__ import annotations

import nh3

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
    "img": {"src", "alt", "width", "height"},
    "td": _CELL,
    "th": _CELL | {"scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type"},
    "li": {"value"},
    "table": {"border", "cellpadding", "cellspacing"},
}
_HREF_SCHEMES = ("http:", "https:", "mailto:")
_IMG_SCHEMES = ("cid:", "https:")
_MAX_PASSES = 3


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Per-tag URL schemes, which nh3's single url_schemes set cannot express."""
    if attribute == "src":
        return value if tag == "img" and value.strip().lower().startswith(_IMG_SCHEMES) else None
    if attribute == "href":
        return value if value.strip().lower().startswith(_HREF_SCHEMES) else None
    return value


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


def clean(markup: str) -> str:
    """Sanitized HTML, cleaned until stable so that cleaning it again changes nothing (text only, if it never is)."""
    for candidate in (markup, nh3.clean(markup, tags=set())):
        result = _stable(candidate)
        if result is not None:
            return result
    return ""  # pragma: no cover - plain escaped text is always stable


def _stable(markup: str) -> str | None:
    result = _CLEANER.clean(markup)
    for _ in range(_MAX_PASSES):
        again = _CLEANER.clean(result)
        if again == result:
            return result
        result = again
    return None
