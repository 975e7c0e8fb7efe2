"""Search by term arrays, for a store with no full-text index (Firestore): each searchable document carries the
distinct index words of its text plus their prefixes ("ref*"), and a clause is looked up by one of them with an
`array_contains` query. What one term cannot decide (a phrase's word order, a prefix longer than MAX_PREFIX) is
checked in memory against the document's own text, folded the same way (domain/search_text.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from gmail_tickets.domain.search_query import Clause, ClauseKind
from gmail_tickets.domain.search_text import index_words, is_cjk, plain_text

MAX_PREFIX = 8
"""Prefixes are stored up to this many characters; "refundabl*" is looked up as "refundab*" and checked."""
MAX_TERMS = 5000
"""Terms (words first, then prefixes) per document: each is one index entry (at most 40,000 a document)."""
MAX_TERM_BYTES = 60_000
"""And their size (UTF-8, plus one byte each, as Firestore counts): a comment keeps up to 900 KB of body inline, so
the terms must fit in the rest of the 1 MiB document limit whatever words a hostile mail is made of."""


def index_terms(texts: Iterable[str]) -> list[str]:
    """The document's terms: its distinct words in order of appearance, then their prefixes, within MAX_TERMS and
    MAX_TERM_BYTES (a longer text is searchable by its first distinct words)."""
    words = dict.fromkeys(word for text in texts for word in index_words(text))
    prefixes = dict.fromkeys(f"{word[:n]}*" for word in words for n in range(1, min(len(word), MAX_PREFIX) + 1))
    terms: list[str] = []
    size = 0
    for term in [*words, *prefixes]:
        cost = len(term.encode()) + 1
        if len(terms) == MAX_TERMS or size + cost > MAX_TERM_BYTES:
            break
        terms.append(term)
        size += cost
    return terms


def lookup_term(clause: Clause) -> str:
    """The one term to look a clause up by: the word, the (capped) prefix, or a phrase's longest word (the one
    likely to be rarest)."""
    if clause.kind == ClauseKind.PREFIX:
        return f"{clause.words[0][:MAX_PREFIX]}*"
    return max(clause.words, key=len)


def needs_text(clause: Clause) -> bool:
    """Whether documents found by `lookup_term` must still be checked against their text."""
    return clause.kind == ClauseKind.PHRASE or (clause.kind == ClauseKind.PREFIX and len(clause.words[0]) > MAX_PREFIX)


def text_matches(clause: Clause, texts: Iterable[str]) -> bool:
    """The clause against a document's texts (each alone: a phrase does not run from one into the next)."""
    for text in texts:
        plain = plain_text(text)
        if clause.kind == ClauseKind.PREFIX:
            if any(word.startswith(clause.text) for word in plain.split()):
                return True
        elif any(is_cjk(char) for char in clause.text):
            if clause.text in plain:  # CJK runs are not split into words: a phrase may sit inside one
                return True
        elif f" {clause.text} " in f" {plain} ":
            return True
    return False

