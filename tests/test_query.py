"""Query parsing: pasted text (headlines, sentences) is read as text; real mistakes are reported."""

from __future__ import annotations

import pytest

from newsbot.errors import UsageError
from newsbot.search.query import parse_query


def terms(text: str) -> set[tuple[str, str]]:
    return {(field, term.decode() if isinstance(term, bytes) else term)
            for field, term in parse_query(text).iter_all_terms()}  # fmt: skip


def test_hyphen_inside_a_word_is_not_a_minus() -> None:
    query = str(parse_query("Made-for-TV debates"))
    assert "NOT" not in query
    assert ("headline", "tv") in terms("Made-for-TV debates")


def test_minus_and_plus_at_a_word_start_are_operators() -> None:
    assert "ANDNOT" in str(parse_query("wall -mexico"))
    assert "ANDNOT" in str(parse_query("(wall) -mexico"))
    assert "ANDMAYBE" in str(parse_query("+wall mexico"))


def test_question_mark_ending_a_word_is_punctuation() -> None:
    assert ("headline", "name") in terms("A New Name? Voters Decide")


def test_question_mark_inside_a_word_is_still_a_wildcard() -> None:
    assert "wom?n" in str(parse_query("wom?n"))


def test_colon_after_an_ordinary_word_is_punctuation() -> None:
    found = terms("Burst Pipes: How Winter Wreaks Havoc")
    assert ("headline", "pipe") in found and ("headline", "havoc") in found


def test_field_name_with_nothing_after_it_is_still_an_error() -> None:
    with pytest.raises(UsageError, match="has no value"):
        parse_query("headline: wall")


def test_unknown_field_is_still_an_error() -> None:
    with pytest.raises(UsageError, match="unknown field 'foo'"):
        parse_query("foo:bar")
