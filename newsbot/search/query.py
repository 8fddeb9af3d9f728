"""Turn the user's query string and filter options into Whoosh queries, or a one-line UsageError.

Whoosh's parser never fails: it quietly turns `(a OR b` or `foo:bar` into something else. A
user who typed a mistake should hear about it, so the obvious mistakes are checked first and
unknown field names are rejected after parsing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh.qparser import (
    FieldAliasPlugin,
    FieldsPlugin,
    MultifieldParser,
    PlusMinusPlugin,
)

from newsbot.errors import UsageError
from newsbot.search.schema import SCHEMA

# Searched when the query names no field. BM25F weighs them; the headline's boost is in SCHEMA.
DEFAULT_FIELDS = ("headline", "summary", "body", "byline", "caption")

# Friendly names people type -> index field. Every target must be a field in SCHEMA.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "headline": ("title",),
    "summary": ("dek", "description"),
    "body": ("text",),
    "byline": (),
    "authors": ("author",),
    "caption": ("captions",),
    "credit": ("credits",),
    "section": (),
    "subsection": (),
    "url": (),
    "published": ("date",),
}
QUERYABLE_FIELDS = frozenset(FIELD_ALIASES)
_KNOWN_NAMES = sorted(QUERYABLE_FIELDS | {a for names in FIELD_ALIASES.values() for a in names})

_BINARY_OPERATORS = {"AND", "OR", "ANDNOT", "ANDMAYBE"}
_TOKEN = re.compile(r'"[^"]*"|\(|\)|[^\s()"]+')
_EMPTY_FIELD = re.compile(r"(?:^|[\s(])(\w+):(?=$|[\s)])")
_WORD_START = r"(?:(?<=^)|(?<=[\s(]))"
_ENDING_QUESTION_MARK = re.compile(r"(\w)\?+(?=$|[\s)\"])")
_COLON_AFTER_WORD = re.compile(r"\b(\w+):(?=$|[\s)])")


def _parser() -> MultifieldParser:
    parser = MultifieldParser(list(DEFAULT_FIELDS), SCHEMA)
    # Keep unknown field names as fields so we can report them instead of searching for "foo:".
    parser.replace_plugin(FieldsPlugin(remove_unknown=False))
    parser.add_plugin(FieldAliasPlugin({k: list(v) for k, v in FIELD_ALIASES.items() if v}))
    # + and - are operators only at the start of a word: "Made-for-TV" and "a+b" are text.
    parser.add_plugin(PlusMinusPlugin(plusexpr=_WORD_START + r"\+", minusexpr=_WORD_START + "-"))
    return parser


def _loosen(text: str) -> str:
    """Read punctuation in pasted text (a headline, a sentence) as text, not syntax: a `?` that
    ends a word is a question mark, not a one-letter wildcard, and `word: ` with a space after it
    is a colon unless `word` is a field name (then an empty value is reported)."""
    text = _ENDING_QUESTION_MARK.sub(r"\1", text)
    return _COLON_AFTER_WORD.sub(
        lambda m: m.group(0) if m.group(1).lower() in _KNOWN_NAMES else m.group(1), text
    )


def _check_syntax(text: str) -> None:
    if text.count('"') % 2:
        raise UsageError("unbalanced quote in query", hint='close the phrase with another "')
    depth = 0
    tokens = _TOKEN.findall(text)
    for token in tokens:
        depth += {"(": 1, ")": -1}.get(token, 0)
        if depth < 0:
            raise UsageError("unexpected ')' in query", hint="check the parentheses")
    if depth:
        raise UsageError("unbalanced '(' in query", hint="close it with ')'")
    empty = _EMPTY_FIELD.search(text)
    if empty:
        raise UsageError(
            f"field '{empty.group(1)}:' has no value", hint=f"write e.g. {empty.group(1)}:word"
        )
    words = [t for t in tokens if t not in "()"]
    for position, token in enumerate(words):
        is_first, is_last = position == 0, position == len(words) - 1
        if token in _BINARY_OPERATORS and (
            is_first or is_last or words[position + 1] in _BINARY_OPERATORS
        ):
            raise UsageError(
                f"operator {token} needs a term on each side", hint="e.g. wall AND mexico"
            )
        if token == "NOT" and is_last:
            raise UsageError("operator NOT needs a term after it", hint="e.g. wall NOT mexico")


def _fieldnames(q: wq.Query) -> set[str]:
    names = set()
    for leaf in q.leaves() if not q.is_leaf() else [q]:
        name = getattr(leaf, "fieldname", None)
        if name:
            names.add(name)
    return names


def parse_query(text: str) -> wq.Query:
    """The user's query as a Whoosh query, or UsageError (exit 2) naming what is wrong."""
    text = text.strip()
    if not text:
        raise UsageError("empty query", hint="give some words to search for")
    text = _loosen(text)
    _check_syntax(text)
    q = _parser().parse(text)
    unknown = sorted(_fieldnames(q) - QUERYABLE_FIELDS)
    if unknown:
        raise UsageError(
            f"unknown field '{unknown[0]}' in query",
            hint="known fields: " + ", ".join(_KNOWN_NAMES),
        )
    _use_union_trees(q)
    return q


def _use_union_trees(q: wq.Query) -> None:
    """Make every OR match through Whoosh's tree of union matchers.

    In an index of up to 5,000 documents Whoosh matches an OR of three or more words with an
    array matcher instead, and its top-k search then gets pages wrong: on 700 generated
    articles, 7 of 202 random queries had a wrong top ten (`w1 w21` among them) that the tree
    gets right. Every word typed without a field name is such an OR (one word in five fields).
    """
    if isinstance(q, wq.Or):
        q.matcher_type = wq.Or.DEFAULT_MATCHER
    for sub in q.children():
        _use_union_trees(sub)


def parse_day(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{option} {value!r} is not a date", hint="use YYYY-MM-DD, e.g. 2017-02-01"
        ) from None


@dataclass(frozen=True)
class Filters:
    """Restrictions that narrow the matching set without affecting the score.

    Dates are whole UTC days: `since` from its midnight, `until` up to the end of its day.
    """

    authors: Sequence[str] = field(default_factory=tuple)
    sections: Sequence[str] = field(default_factory=tuple)
    since: dt.date | None = None
    until: dt.date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise UsageError(
                f"--since {self.since} is after --until {self.until}", hint="swap them"
            )

    def to_query(self) -> wq.Query | None:
        parts: list[wq.Query] = []
        if self.authors:
            parts.append(wq.Or([_author_query(name) for name in self.authors]))
        if self.sections:
            parts.append(wq.Or([wq.Term("section", s.strip().lower()) for s in self.sections]))
        if self.since or self.until:
            start = dt.datetime.combine(self.since, dt.time()) if self.since else None
            # The last day there is (9999-12-31) has no next day: no end then.
            end = (
                dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time())
                if self.until and self.until < dt.date.max
                else None
            )
            parts.append(wq.DateRange("published", start, end, endexcl=True))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)


def _author_query(name: str) -> wq.Query:
    """A full name matches the authors keyword exactly; a single word matches within the byline."""
    exact = wq.Term("authors", " ".join(name.lower().split()))
    words = [t.text for t in SCHEMA["byline"].analyzer(name)]
    if not words:
        return exact
    in_byline = wq.Term("byline", words[0]) if len(words) == 1 else wq.Phrase("byline", words)
    return wq.Or([exact, in_byline])
