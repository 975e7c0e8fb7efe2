"""Plain text from an HTML mail body, for mail that has no text/plain part. Display HTML is sanitized elsewhere.

The markup is first bounded in depth and size (html_bound: one linear pass, so a hostile mail cannot make the tree
builder quadratic; a cut is noted in the text), then normalised by nh3's HTML5 parser (which repairs unclosed tags
the way a browser does and drops scripts, styles and comments), then walked for text: block elements become line
breaks, list items get "- ", and blockquotes get "> " so quote stripping sees the history as quoted. The walk is
stdlib html.parser, which is linear on nh3's output: well formed, every "<" in text escaped, no attributes.
"""

from __future__ import annotations

from html.parser import HTMLParser

import nh3

from gmail_tickets.mail import html_bound

_PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "pre", "ul", "ol", "dl", "hr", "address"}
_LINE = {"div", "li", "tr", "dt", "dd", "center", "section", "article", "header", "footer", "caption"}
_CELL = {"td", "th"}
_KEEP = _PARAGRAPH | _LINE | _CELL | {"blockquote", "br"}


class _TextExtractor(HTMLParser):
    """Collects (quote depth, preformatted, text) lines from well-formed markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, bool, str]] = []
        self._line: list[str] = []
        self._depth = 0
        self._pre = 0

    def _push(self, force: bool = False) -> None:
        if force or "".join(self._line).strip():
            self.lines.append((self._depth, self._pre > 0, "".join(self._line)))
        self._line = []

    def _paragraph(self) -> None:
        self._push()
        if self.lines and self.lines[-1][2].strip():
            self.lines.append((self._depth, False, ""))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._push(force=True)
        elif tag == "blockquote":
            self._paragraph()
            self._depth += 1
        elif tag in _PARAGRAPH:
            self._paragraph()
            self._pre += tag == "pre"
        elif tag in _LINE:
            self._push()
            if tag == "li":
                self._line.append("- ")
        elif tag in _CELL:
            self._line.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "blockquote":
            self._push()
            while self.lines and not self.lines[-1][2].strip() and self.lines[-1][0] >= self._depth:
                self.lines.pop()  # the separator after a quote belongs to the outer level
            self._depth = max(0, self._depth - 1)
            self._paragraph()
        elif tag in _PARAGRAPH:
            self._paragraph()
            if tag == "pre":
                self._pre = max(0, self._pre - 1)
        elif tag in _LINE:
            self._push()

    def handle_data(self, data: str) -> None:
        if not self._pre:
            self._line.append(data.replace("\n", " "))
            return
        first, *rest = data.split("\n")
        self._line.append(first)
        for line in rest:
            self._push(force=True)
            self._line.append(line)

    def text(self) -> str:
        self._push()
        out: list[str] = []
        for depth, pre, line in self.lines:
            body = line.rstrip() if pre else " ".join(line.split())
            rendered = ("> " * depth + body).rstrip()
            if not body and (not out or out[-1] == rendered):
                continue  # no leading or doubled blank lines
            out.append(rendered)
        return "\n".join(out).strip()


def html_to_text(markup: str) -> str:
    """Readable plain text of `markup`; never raises."""
    normalised = nh3.clean(html_bound.bound(markup).markup, tags=_KEEP, attributes={},
                           clean_content_tags={"script", "style", "title", "template"}, link_rel=None)
    parser = _TextExtractor()
    parser.feed(normalised)
    parser.close()
    return parser.text().strip()
