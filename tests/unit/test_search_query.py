"""The search box's parser and the one normal form of searchable text (pure: no store)."""

from __future__ import annotations

from gmail_tickets.domain.search_query import MAX_CLAUSES, ClauseKind, parse
from gmail_tickets.domain.search_terms import (
    MAX_PREFIX,
    MAX_TERM_BYTES,
    MAX_TERMS,
    index_terms,
    lookup_term,
    text_matches,
)
from gmail_tickets.domain.search_text import fold, index_words, plain_text


def _clauses(text: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(c.kind.value, c.words) for c in parse(text).clauses]


def test_fold_applies_nfkc_case_folding_and_strips_accents() -> None:
    assert fold("Ｃａｆé STRAßE Ångström") == "cafe strasse angstrom"


def test_cjk_runs_become_pairs_plus_their_last_character() -> None:
    assert list(index_words("東京都 iPhone用")) == ["東京", "京都", "都", "iphone", "用"]
    assert plain_text("Hello, 世界!") == "hello 世界"


def test_words_phrases_and_prefixes() -> None:
    assert _clauses('Refund "Return Policy" ship*') == [
        ("word", ("refund",)), ("phrase", ("return", "policy")), ("prefix", ("ship",))]
    assert _clauses("ann@example.com") == [("phrase", ("ann", "example", "com"))]
    assert _clauses("東京都") == [("phrase", ("東京", "京都"))]
    assert _clauses("東") == [("prefix", ("東",))]
    assert _clauses('"unclosed phrase') == [("phrase", ("unclosed", "phrase"))]


def test_punctuation_alone_and_repeats_add_no_clause() -> None:
    assert _clauses('*** "" -- ') == []
    assert _clauses("a a A") == [("word", ("a",))]
    assert len(parse(" ".join(f"w{n}" for n in range(20))).clauses) == MAX_CLAUSES


def test_a_ticket_number_is_noted_and_also_searched_as_text() -> None:
    assert parse("#123").ticket_id == 123 and _clauses("#123") == [("word", ("123",))]
    assert parse(" 42 ").ticket_id == 42
    assert parse("#12 and more").ticket_id is None
    assert parse("abc").ticket_id is None


def test_term_arrays_hold_words_then_capped_prefixes() -> None:
    terms = index_terms(["Refundable refund"])
    assert terms[:2] == ["refundable", "refund"]
    assert "refundab*" in terms and "refundabl*" not in terms and "r*" in terms
    assert len(index_terms([" ".join(f"w{n}" for n in range(MAX_TERMS + 10))])) == MAX_TERMS
    hostile = index_terms([" ".join(f"{n:040d}" for n in range(MAX_TERMS))])  # long distinct words
    assert sum(len(t.encode()) + 1 for t in hostile) <= MAX_TERM_BYTES and len(hostile) > 1000


def test_what_a_term_cannot_decide_is_checked_against_the_text() -> None:
    long_prefix = parse("refundabl*").clauses[0]
    assert lookup_term(long_prefix) == "refundab*" and len("refundab") == MAX_PREFIX
    assert text_matches(long_prefix, ["It is refundable"]) and not text_matches(long_prefix, ["refundab only"])
    phrase = parse('"refund policy"').clauses[0]
    assert lookup_term(phrase) == "refund"
    assert text_matches(phrase, ["Our REFUND policy."]) and not text_matches(phrase, ["refund", "policy"])
    assert text_matches(parse("東京都").clauses[0], ["東京都の天気"])
    assert parse("東京都").clauses[0].kind == ClauseKind.PHRASE
