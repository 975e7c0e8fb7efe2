"""A mail's HTML made small and shallow, in one linear pass, before anything builds a tree of it.

nh3 (html5ever) builds a tree, and its scope checks walk the open elements, so its time grows with depth times tags:
a 1.1 MB mail of nested <div>s took 97 s and stalled its mailbox. This pass bounds what reaches it:
- depth: at most MAX_DEPTH open elements (MAX_FORMATTING of them b/i/a/font…); a deeper start tag is dropped and
  its text kept, so the element is flattened into its parent, as browsers do beyond their own depth limit;
- size: at most MAX_CHARS of markup are read; the rest is cut, and a visible note says so (the mail as it arrived
  is kept whole as the raw mail);
- shape: the output is well formed (every element opened is closed, in order), with at most MAX_ATTRIBUTES
  attributes per tag, each once, quoted; comments, script and style (with their content) are gone.

The tokenizer is a handful of regular expressions, each consuming what it matches, so no position of the input is
read twice (an unterminated quote or comment is read to the end once). The stdlib html.parser is not used: on
Python 3.11 it is quadratic on unterminated constructs (240 KB of `<a x="` took 255 s here).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

MAX_DEPTH = 100
MAX_FORMATTING = 12  # html5ever re-opens these after implied closes: keep that recovery small
MAX_CHARS = 512 * 1024  # Gmail itself clips a message's HTML at 102 KB
MAX_ATTRIBUTES = 32

_TOKEN = re.compile(
    r"""(?P<comment><!--(?:-?>|.*?(?:--!?>|\Z)))
      | (?P<other><[!?][^>]*>?)
      | <(?P<close>/?)(?P<name>[A-Za-z][^\s/>]*)(?P<rest>(?:[^>"']+|"[^"]*"|'[^']*')*)>?
      | (?P<text>(?:[^<]+|<(?![A-Za-z!?]|/[A-Za-z]))+)  # with any "<" that starts no tag: one token, not many
      | (?P<lt><)""",
    re.S | re.X,
)
_ATTRIBUTE = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
_SAFE_NAME = re.compile(r"[a-z_:][-a-z0-9_:.]*\Z")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
                   "source", "track", "wbr"})
_FORMATTING = frozenset({"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt",
                         "u"})
_DROPPED_WITH_CONTENT = frozenset({"script", "style", "title", "xmp", "iframe", "noembed", "noframes"})
_TEXT_CONTENT = frozenset({"textarea"})  # raw text a browser shows as text, not markup
_IGNORED = frozenset({"plaintext"})  # would turn all that follows into text

AttributeRewrite = Callable[[str, str, str], tuple[str, str] | None]
"""(tag, attribute name, raw value) → the attribute to write instead, or None to drop it."""


@dataclass(frozen=True)
class Bounded:
    markup: str
    flattened: int  # start tags dropped for depth
    cut_from: int | None  # the original's length in characters, when it was cut
    tags: int  # start tags read: the work done is linear in this and the characters read

    def problems(self, where: str) -> list[str]:
        found = []
        if self.flattened:
            found.append(f"HTML nested deeper than {MAX_DEPTH} levels in {where}; flattened")
        if self.cut_from is not None:
            found.append(f"HTML larger than {MAX_CHARS // 1024} KB in {where}; cut (the raw mail keeps it all)")
        return found


def bound(markup: str, rewrite: AttributeRewrite | None = None, *, max_chars: int = MAX_CHARS) -> Bounded:
    """`markup` bounded in depth and size, with a visible note at the end when anything was flattened or cut."""
    head = markup
    if len(markup) > max_chars:
        head = markup[:max_chars]
        lt = head.rfind("<")
        if lt > head.rfind(">"):
            head = head[:lt]  # not half a tag
    writer = _Writer(rewrite)
    writer.feed(head)
    writer.close_all()
    cut_from = len(markup) if head is not markup else None
    note = _note(writer.flattened, cut_from, max_chars)
    return Bounded("".join(writer.out) + note, writer.flattened, cut_from, writer.tags)


def _note(flattened: int, cut_from: int | None, max_chars: int) -> str:
    said = []
    if cut_from is not None:
        said.append(f"This mail's HTML is {_size(cut_from)}; only the first {_size(max_chars)} is shown. "
                    "The whole mail is kept as it arrived.")
    if flattened:
        said.append(f"Markup nested deeper than {MAX_DEPTH} levels was flattened.")
    return f"<hr><p><em>[{' '.join(said)}]</em></p>" if said else ""


def _size(chars: int) -> str:
    return f"{chars / (1024 * 1024):.1f} MB" if chars >= 1024 * 1024 else f"{max(1, chars // 1024)} KB"


@cache
def _end_of(name: str) -> re.Pattern[str]:
    return re.compile(rf"</{re.escape(name)}[\s/>]", re.IGNORECASE)


class _Writer:
    """Re-writes tokens with a stack of open elements; every operation is amortised constant per token."""

    def __init__(self, rewrite: AttributeRewrite | None) -> None:
        self.rewrite = rewrite
        self.out: list[str] = []
        self.stack: list[str] = []
        self.open: Counter[str] = Counter()  # names on the stack
        self.dropped: Counter[str] = Counter()  # flattened start tags whose end tag is still to come
        self.formatting = 0
        self.flattened = 0
        self.tags = 0

    def feed(self, markup: str) -> None:
        pos, end = 0, len(markup)
        while pos < end:
            token = _TOKEN.match(markup, pos)
            assert token is not None  # the last alternative matches any "<"
            pos = token.end()
            kind = token.lastgroup
            if kind == "text":
                self.out.append(token.group().replace("<", "&lt;"))
            elif kind == "lt":
                self.out.append("&lt;")
            elif kind == "rest":  # a tag: its last group is the attributes, however empty
                name = token.group("name").lower()
                if token.group("close"):
                    self._end(name)
                else:
                    pos = self._start(name, token.group("rest"), markup, pos)

    def _start(self, name: str, rest: str, markup: str, pos: int) -> int:
        """Handles one start tag; returns where reading goes on (past a dropped element's content)."""
        self.tags += 1
        if name in _DROPPED_WITH_CONTENT or name in _TEXT_CONTENT:
            found = _end_of(name).search(markup, pos)
            stop = found.start() if found else len(markup)
            if name in _TEXT_CONTENT:
                self.out.append(markup[pos:stop].replace("<", "&lt;"))
            return stop
        if name in _VOID:
            if _SAFE_NAME.match(name):
                self.out.append(self._written(name, rest))
        elif len(self.stack) >= MAX_DEPTH or (name in _FORMATTING and self.formatting >= MAX_FORMATTING):
            self.flattened += 1
            self.dropped[name] += 1
        elif name not in _IGNORED and _SAFE_NAME.match(name):
            self.out.append(self._written(name, rest))
            self.stack.append(name)
            self.open[name] += 1
            self.formatting += name in _FORMATTING
        return pos

    def _written(self, name: str, rest: str) -> str:
        if not rest or rest.isspace():
            return f"<{name}>"
        written: list[str] = [name]
        seen: set[str] = set()
        for found in _ATTRIBUTE.finditer(rest):
            if len(seen) >= MAX_ATTRIBUTES:
                break
            attribute = found.group(1).lower()
            if attribute in seen or not _SAFE_NAME.match(attribute):
                continue
            seen.add(attribute)
            value = next((v for v in found.group(2, 3, 4) if v is not None), "")
            kept = self.rewrite(name, attribute, value) if self.rewrite else (attribute, value)
            if kept is not None:
                written.append(f'{kept[0]}="{kept[1].replace(chr(34), "&quot;")}"')
        return "<" + " ".join(written) + ">"

    def _end(self, name: str) -> None:
        if self.dropped[name]:
            self.dropped[name] -= 1
        elif self.open[name]:
            while True:
                popped = self._pop()
                if popped == name:
                    break

    def _pop(self) -> str:
        popped = self.stack.pop()
        self.open[popped] -= 1
        self.formatting -= popped in _FORMATTING
        self.out.append(f"</{popped}>")
        return popped

    def close_all(self) -> None:
        while self.stack:
            self._pop()
