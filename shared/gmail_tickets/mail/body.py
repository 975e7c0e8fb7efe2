"""Walk the MIME tree: which parts are the body (text and HTML) and which are attachments.

text/plain is preferred (unless it is blank and HTML is there); an HTML-only mail (or HTML-only branch of the
tree) gets text derived from its HTML.
In multipart/alternative one variant is chosen; in every other multipart the body parts are joined in order (Apple
Mail splits text around inline images). A multipart without parts is read as text. Nesting is capped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message

from gmail_tickets.mail import charsets, parts, transfer
from gmail_tickets.mail.html_text import html_to_text
from gmail_tickets.mail.notes import Notes, label

MAX_DEPTH = 40
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))  # zero-width: no text to read


@dataclass
class _Body:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    derived: bool = False  # `plain` was made from HTML only


@dataclass(frozen=True)
class Found:
    """A part that is not body text, with what the walk already read from its headers (each read parses them)."""

    part: Message
    number: str  # part number such as "2.1"
    content_type: str
    disposition: str | None
    filename: str


@dataclass
class Walked:
    content_type: str  # of the whole mail
    text: str
    html: list[str]
    attachments: list[Found]


def walk(msg: Message, notes: Notes) -> Walked:
    walker = _Walker(notes)
    content_type = parts.content_type(msg)
    body = walker.visit(msg, "", 0, content_type)
    text = "\n\n".join(p.strip("\n") for p in body.plain if p.strip())
    return Walked(content_type=content_type, text=text.strip(), html=body.html, attachments=walker.attachments)


def where(number: str) -> str:
    return f"part {number or '1'}"


class _Walker:
    def __init__(self, notes: Notes) -> None:
        self.notes = notes
        self.attachments: list[Found] = []

    def visit(self, part: Message, number: str, depth: int, ctype: str | None = None) -> _Body:
        ctype = ctype or parts.content_type(part)
        if depth > MAX_DEPTH:
            self.notes.add(f"MIME nesting deeper than {MAX_DEPTH} levels in {where(number)}; inner parts skipped")
            return _Body()
        if ctype.startswith("multipart/"):
            children = part.get_payload() if part.is_multipart() else None
            if not isinstance(children, list):
                self.notes.add(f"{label(ctype, 60)} without parts in {where(number)}; read as text")
                return self._leaf(part, number, "text/plain")
            bodies = [
                self.visit(child, f"{number}.{i}" if number else str(i), depth + 1)
                for i, child in enumerate(children, 1)
                if isinstance(child, Message)
            ]
            return _alternative(bodies) if ctype == "multipart/alternative" else _joined(bodies)
        disposition, filename = parts.disposition(part), parts.filename(part)
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            return self._leaf(part, number, ctype)
        self.attachments.append(Found(part, number, ctype, disposition, filename))
        return _Body()

    def _leaf(self, part: Message, number: str, ctype: str) -> _Body:
        data = transfer.decode(parts.payload_bytes(part), parts.transfer_encoding(part), where(number), self.notes)
        text = charsets.decode(data, parts.param(part, "charset"), where(number), self.notes)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if ctype == "text/html":
            return _Body(plain=[html_to_text(text)], html=[text], derived=True)
        return _Body(plain=[text])


def _alternative(bodies: list[_Body]) -> _Body:
    """One variant: the first with real plain text for `plain`, the last with HTML for `html`. A whitespace-only
    text/plain (some mailers send one beside the real HTML body) does not count as real text."""
    with_plain = [b for b in bodies if not b.derived and any(p.translate(_INVISIBLE).strip() for p in b.plain)]
    with_html = [b for b in bodies if b.html]
    html = with_html[-1].html if with_html else []
    if with_plain:
        return _Body(plain=with_plain[0].plain, html=html)
    source = with_html[-1] if with_html else next((b for b in bodies if b.plain), _Body())
    return _Body(plain=source.plain, html=html, derived=bool(source.plain))


def _joined(bodies: list[_Body]) -> _Body:
    with_text = [b for b in bodies if b.plain]
    return _Body(
        plain=[p for b in bodies for p in b.plain],
        html=[h for b in bodies for h in b.html],
        derived=bool(with_text) and all(b.derived for b in with_text),
    )
