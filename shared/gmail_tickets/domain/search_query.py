"""What an agent typed in the search box, parsed: words, "quoted phrases", prefixes (refu*), and "#123" (or a bare
number) that names a ticket. Pure: stores turn the parsed clauses into their own index lookups.

Every clause must match somewhere on the ticket (subject, requester name or address, any comment); a phrase or a
prefix must match within one of those texts. Words are normalised as domain/search_text.py does, so the query
and the index always agree.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from gmail_tickets.domain import search_text

MAX_CLAUSES = 8
"""More clauses add no precision an agent needs, and each one costs the store a lookup."""

_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_TICKET_REF = re.compile(r"#?(\d{1,12})")


class ClauseKind(enum.StrEnum):
    WORD = "word"  # one index word, matched exactly
    PREFIX = "prefix"  # index words starting with this
    PHRASE = "phrase"  # these index words side by side, in this order


@dataclass(frozen=True)
class Clause:
    kind: ClauseKind
    words: tuple[str, ...]  # index words (search_text.index_words), CJK already in pairs
    text: str  # the clause's plain_text: what a store without word positions checks phrases against


@dataclass(frozen=True)
class SearchQuery:
    clauses: tuple[Clause, ...] = ()
    ticket_id: int | None = None  # "#123" or "123": open that ticket if it exists

    @property
    def empty(self) -> bool:
        return not self.clauses


def parse(query: str) -> SearchQuery:
    """Parse the search box; unknown syntax is just text (a stray quote closes at the end)."""
    stripped = query.strip()
    ref = _TICKET_REF.fullmatch(stripped)
    ticket_id = int(ref.group(1)) if ref else None
    clauses: list[Clause] = []
    for match in _TOKEN.finditer(stripped):
        phrase, bare = match.group(1), match.group(2)
        if phrase is not None:
            clause = _phrase(phrase)
        elif bare.startswith("#") and _TICKET_REF.fullmatch(bare):
            clause = _phrase(bare[1:])
        elif bare.endswith("*"):
            clause = _prefix(bare.rstrip("*"))
        else:
            clause = _phrase(bare)  # "alice@example.com" is several words side by side
        if clause is not None and clause not in clauses:
            clauses.append(clause)
    return SearchQuery(clauses=tuple(clauses[:MAX_CLAUSES]), ticket_id=ticket_id)


def _query_words(segments: list[str]) -> list[str]:
    """Index words for query text: CJK runs as their pairs only (the index's lone last character would demand
    that the run end there)."""
    words: list[str] = []
    for segment in segments:
        words.extend(search_text.bigrams(segment) if search_text.is_cjk(segment) else [segment])
    return words


def _phrase(text: str) -> Clause | None:
    segments = search_text.segments(text)
    if not segments:
        return None
    if len(segments) == 1 and search_text.is_cjk(segments[0]) and len(segments[0]) == 1:
        return Clause(ClauseKind.PREFIX, (segments[0],), segments[0])  # one CJK character starts index words
    words = _query_words(segments)
    kind = ClauseKind.WORD if len(words) == 1 else ClauseKind.PHRASE
    return Clause(kind, tuple(words), " ".join(segments))


def _prefix(text: str) -> Clause | None:
    """"refu*". Only the last word of "foo-ba*" is a prefix, and it alone is kept. CJK pairs already match
    inside longer runs, so a CJK prefix is just its pairs."""
    segments = search_text.segments(text)
    if not segments:
        return None
    last = segments[-1]
    if search_text.is_cjk(last):
        return _phrase(last)
    return Clause(ClauseKind.PREFIX, (last,), last)
