"""How text becomes searchable words, the same for every store and for the query: one normal form, so "Café",
"CAFE" and "cafe" are one word, and Chinese/Japanese/Korean text (written without spaces) is found by any two
characters of it.

- Normal form: Unicode NFKC (full-width letters, ligatures), case folding (ß → ss), accents removed (é → e).
- Words: runs of letters and digits; everything else (spaces, punctuation, "@", "_") separates them.
- CJK runs are cut into overlapping character pairs (bigrams), plus the run's last character alone, so every
  character starts some index word: "東京都" → 東京, 京都, 都. A query of two or more CJK characters asks for
  their pairs side by side (a phrase); a single character asks for words starting with it (a prefix).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

MAX_WORD = 40
"""Longer words (hashes, base64 left in mail) are cut to this many characters: they are never typed whole."""

_WORD = re.compile(r"[^\W_]+")
_CJK = (r"\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
        r"\U00020000-\U0002fa1f")
_CJK_SPLIT = re.compile(f"([{_CJK}]+)")
_CJK_RUN = re.compile(f"[{_CJK}]+")


def fold(text: str) -> str:
    """NFKC, case-folded, without accents: the form both the index and the query are compared in."""
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped)


def is_cjk(segment: str) -> bool:
    return bool(_CJK_RUN.fullmatch(segment))


def segments(text: str) -> list[str]:
    """The folded text's words, with CJK runs split from the letters around them ("iphone用" → iphone, 用)."""
    found: list[str] = []
    for word in _WORD.findall(fold(text)):
        found.extend(part[:MAX_WORD] if not is_cjk(part) else part for part in _CJK_SPLIT.split(word) if part)
    return found


def bigrams(run: str) -> list[str]:
    """A CJK run's character pairs (a single character stands alone)."""
    return [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]


def index_words(text: str) -> Iterator[str]:
    """The words a store indexes for `text`, in order (order matters to phrase search)."""
    for segment in segments(text):
        if is_cjk(segment):
            yield from bigrams(segment)
            if len(segment) > 1:
                yield segment[-1]
        else:
            yield segment


def index_text(text: str) -> str:
    """`index_words` joined by spaces: what SQLite's full-text table holds."""
    return " ".join(index_words(text))


def plain_text(text: str) -> str:
    """The folded words joined by single spaces (CJK runs kept whole): what phrases are checked against in
    memory, by stores whose index holds words but not their order."""
    return " ".join(segments(text))
