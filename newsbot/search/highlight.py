"""Mark the words of a query in a whole text, the way the index matched them (by stem).

The search snippets show a few matches; a reader who opens the article wants to see every
place the query's words occur. The text is run once through the body field's analyzer, which
gives each word's stem and its character span, so "strikes" in a query marks "striking" and
"strike" in the article, just as the search found them. Words the query excludes (NOT, -)
are not marked.
"""

from __future__ import annotations

from whoosh import query as wq

from newsbot.search.query import parse_query
from newsbot.search.schema import SCHEMA

_ANALYZER = SCHEMA["body"].analyzer
_STEMMED_FIELDS = frozenset({"headline", "summary", "body", "caption"})


def query_stems(text: str) -> frozenset[str]:
    """The stems a query looks for in the article text; UsageError for a bad query."""
    return frozenset(_wanted(parse_query(text)))


def _wanted(q: wq.Query) -> set[str]:
    if isinstance(q, wq.Not):
        return set()
    if isinstance(q, wq.AndNot):
        return _wanted(q.a)
    if q.is_leaf():
        return {
            str(text)
            for name, text in q.iter_all_terms()
            if name in _STEMMED_FIELDS and isinstance(text, str)
        }
    found: set[str] = set()
    for sub in q.children():
        found |= _wanted(sub)
    return found


def marked(text: str, stems: frozenset[str]) -> list[tuple[str, bool]]:
    """`text` cut into (part, is a match) pieces; one unmarked piece if nothing matches."""
    if not stems or not text:
        return [(text, False)]
    pieces: list[tuple[str, bool]] = []
    done = 0
    for token in _ANALYZER(text, chars=True):
        if token.text in stems:
            if token.startchar > done:
                pieces.append((text[done : token.startchar], False))
            pieces.append((text[token.startchar : token.endchar], True))
            done = token.endchar
    if done < len(text):
        pieces.append((text[done:], False))
    return pieces
