"""Turn the user's query string and filter options into Whoosh queries, or a one-line UsageError.

Whoosh's parser rarely says no: it quietly turns `(a OR b` or `foo:bar` into something else,
and on some inputs (`NOT NOT x`, a lone `+`, 1,000 nested parentheses) it fails with an
internal exception. A user who typed a mistake should hear about it, so the obvious mistakes
are checked first, unknown field names are rejected after parsing, and anything else the
parser cannot read becomes a UsageError too: a query never ends in a traceback.

Words that stand for many words (wildcards, ranges over text) are bounded: see
`bound_expansion`, and docs/search.md for the limits and why.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import (
    FieldAliasPlugin,
    FieldsPlugin,
    MultifieldParser,
    PlusMinusPlugin,
)
from whoosh.reading import IndexReader

from newsbot.errors import UsageError
from newsbot.search.analysis import name_key
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

# The parser sees only these fields, so `item:x` or `history:[a TO z]` (stored, not searchable)
# is an unknown field rather than an internal error.
_QUERY_SCHEMA = Schema(**{name: SCHEMA[name] for name in sorted(QUERYABLE_FIELDS)})

# Longer queries are not something a person types; they only make the parser work harder.
MAX_QUERY_CHARS = 2_000
# Parentheses nested deeper than this are refused; Whoosh's parser recurses once per level.
MAX_NESTING = 20
# How many indexed words all the wildcards, prefixes and ranges of one query may stand for, and
# how many (word, article) postings those words may have between them. Whoosh merges them one
# posting at a time, about 25 us each with the counting, snippets and matched fields of a
# search (bench/bench_query_limits.py), so 20,000 postings answer in about half a second
# however large the archive is; on a larger archive the same prefix has more postings and
# needs more letters.
MAX_EXPANDED_TERMS = 1_000
MAX_EXPANDED_POSTINGS = 20_000

_BINARY_OPERATORS = {"AND", "OR", "ANDNOT", "ANDMAYBE"}
_TOKEN = re.compile(r'"[^"]*"|\(|\)|[^\s()"]+')
_EMPTY_FIELD = re.compile(r"(?:^|[\s(])(\w+):(?=$|[\s)])")
_WORD_START = r"(?:(?<=^)|(?<=[\s(]))"
_ENDING_QUESTION_MARK = re.compile(r"(\w)\?+(?=$|[\s)\"])")
_COLON_AFTER_WORD = re.compile(r"\b(\w+):(?=$|[\s)])")
# A + or - standing alone (or in a run, "--") is punctuation, not an operator without a word.
_LONE_SIGN = re.compile(_WORD_START + r"[+-]+(?=$|[\s)])")
_FIELD_NAME = re.compile(r"(?<![\w\"])([^\W\d]\w*):")
# A run of wildcards with at least one `*` matches "at least as many letters as it has `?`":
# `?*?*` is `??*`. Collapsed, the pattern has one star per run and cannot backtrack badly.
_WILDCARD_RUN = re.compile(r"[*?]*\*[*?]*")


def _parser() -> MultifieldParser:
    parser = MultifieldParser(list(DEFAULT_FIELDS), _QUERY_SCHEMA)
    # Keep unknown field names as fields so we can report them instead of searching for "foo:".
    parser.replace_plugin(FieldsPlugin(remove_unknown=False))
    parser.add_plugin(FieldAliasPlugin({k: list(v) for k, v in FIELD_ALIASES.items() if v}))
    # + and - are operators only at the start of a word: "Made-for-TV" and "a+b" are text.
    parser.add_plugin(PlusMinusPlugin(plusexpr=_WORD_START + r"\+", minusexpr=_WORD_START + "-"))
    return parser


def _loosen(text: str) -> str:
    """Read punctuation in pasted text (a headline, a sentence) as text, not syntax: a `?` that
    ends a word is a question mark, not a one-letter wildcard, a lone `-` or `+` is a dash, and
    `word: ` with a space after it is a colon unless `word` is a field name (then an empty
    value is reported). Field names are case-insensitive: `Byline:` is `byline:`."""
    text = _ENDING_QUESTION_MARK.sub(r"\1", text)
    text = _LONE_SIGN.sub(" ", text)
    text = _FIELD_NAME.sub(
        lambda m: m.group(0).lower() if m.group(1).lower() in _KNOWN_NAMES else m.group(0), text
    )
    return _COLON_AFTER_WORD.sub(
        lambda m: m.group(0) if m.group(1) in _KNOWN_NAMES else m.group(1), text
    )


def _check_syntax(text: str) -> None:
    if len(text) > MAX_QUERY_CHARS:
        raise UsageError(
            f"query is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}",
            hint="search for fewer words at a time",
        )
    if text.count('"') % 2:
        raise UsageError("unbalanced quote in query", hint='close the phrase with another "')
    depth = 0
    tokens = _TOKEN.findall(text)
    for token in tokens:
        depth += {"(": 1, ")": -1}.get(token, 0)
        if depth < 0:
            raise UsageError("unexpected ')' in query", hint="check the parentheses")
        if depth > MAX_NESTING:
            raise UsageError(
                f"parentheses nested more than {MAX_NESTING} deep in query",
                hint="use fewer parentheses",
            )
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
    for token, following in itertools.pairwise([*tokens, ")"]):
        if token == "NOT" and (following == ")" or following in _BINARY_OPERATORS | {"NOT"}):
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
    if text == "*":
        # Every article: with --sort newest, the latest ones. Whoosh would read `*` as "any
        # word in each default field" and walk every word of the index.
        return wq.Every()
    text = _loosen(text)
    _check_syntax(text)
    negated = _negated_words(text)
    if negated:
        return wq.And([wq.Every(), *(wq.Not(_parse(word)) for word in negated)])
    q = _parse(text)
    _use_union_trees(q)
    return q


def _parse(text: str) -> wq.Query:
    try:
        q = _parser().parse(text)
    except Exception as error:
        # Whoosh's parser fails in ways it does not document (IndexError, NotImplementedError,
        # a bare Exception for a date it cannot read); each is a query it cannot read.
        raise UsageError(
            f"cannot read the query ({_parser_complaint(error)})",
            hint='check the operators, ranges like date:[2017 TO 2018], and "quotes"',
        ) from None
    unknown = sorted(_fieldnames(q) - QUERYABLE_FIELDS)
    if unknown:
        raise UsageError(
            f"unknown field '{unknown[0]}' in query",
            hint="known fields: " + ", ".join(_KNOWN_NAMES),
        )
    for leaf in _leaves(q):
        _check_pattern(leaf)
    return q


def _parser_complaint(error: Exception) -> str:
    message = str(error)
    if "not a parseable date" in message:
        return message.replace("parseable", "readable")
    return "it does not parse"


def _leaves(q: wq.Query) -> list[wq.Query]:
    return [q] if q.is_leaf() else list(q.leaves())


def _negated_words(text: str) -> list[str]:
    """The words of a query made only of `-word`s ("-drought -flood"), without their minus.

    Whoosh reads such a query as nothing at all; a reader means "every article without them".
    """
    tokens = _TOKEN.findall(text)
    if not tokens or not all(t.startswith("-") and len(t) > 1 for t in tokens):
        return []
    return [t[1:] for t in tokens]


def _check_pattern(leaf: wq.Query) -> None:
    """Refuse wildcards that would read the whole word list; tidy the others."""
    if isinstance(leaf, wq.Every):
        raise UsageError(
            f"'{leaf.fieldname}:*' would list every word in the field",
            hint="search for `*` alone to list every article",
        )
    if not isinstance(leaf, wq.Wildcard | wq.Prefix):
        return
    text = leaf.text
    if not text or text[0] in "*?":
        raise UsageError(
            f"a wildcard cannot start a word ('{text}')",
            hint="give the first letters, e.g. elect* or wom?n",
        )
    if isinstance(leaf, wq.Wildcard):
        leaf.text = _WILDCARD_RUN.sub(lambda m: "?" * m.group().count("?") + "*", text)


def bound_expansion(q: wq.Query, reader: IndexReader) -> None:
    """UsageError if the query's wildcards, prefixes and text ranges together stand for more
    than MAX_EXPANDED_TERMS indexed words, or more than MAX_EXPANDED_POSTINGS postings.

    Whoosh expands each into an OR of every matching word, so `s*` on a large archive is an OR
    of thousands of posting lists. Counting stops at the limit, so checking costs at most a
    walk over that many words.
    """
    terms, postings = 0, 0
    for leaf in _leaves(q):
        if not isinstance(leaf, wq.MultiTerm) or leaf.field() not in reader.schema:
            continue
        for text in itertools.islice(leaf._btexts(reader), MAX_EXPANDED_TERMS + 1 - terms):
            terms += 1
            postings += reader.doc_frequency(leaf.field(), text)
            if terms > MAX_EXPANDED_TERMS or postings > MAX_EXPANDED_POSTINGS:
                what = (
                    f"{MAX_EXPANDED_TERMS:,} words"
                    if terms > MAX_EXPANDED_TERMS
                    else f"{MAX_EXPANDED_POSTINGS:,} word occurrences"
                )
                raise UsageError(
                    f"'{_shown(leaf)}' stands for more than {what} in the index",
                    hint="give more letters before the wildcard, or narrow the range",
                )


def _shown(leaf: wq.Query) -> str:
    if isinstance(leaf, wq.Prefix):
        return f"{leaf.text}*"
    if isinstance(leaf, wq.TermRange):
        return f"{leaf.fieldname}:[{leaf.start} TO {leaf.end}]"
    return str(getattr(leaf, "text", leaf))


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


_PERIOD = re.compile(r"(\d{4})(?:-(\d{1,2}))?")


def parse_day(value: str, option: str, *, end: bool = False) -> dt.date:
    """A day given as YYYY-MM-DD, or a month (YYYY-MM) or year (YYYY): its first day, or with
    `end` its last, so `--since 2021 --until 2021-06` is January 1 to June 30."""
    period = _PERIOD.fullmatch(value.strip())
    try:
        if not period:
            return dt.date.fromisoformat(value.strip())
        year, month = int(period.group(1)), period.group(2)
        if month is None:
            return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
        last = calendar.monthrange(year, int(month))[1] if 1 <= int(month) <= 12 else 0
        return dt.date(year, int(month), last if end else 1)
    except ValueError:
        raise UsageError(
            f"{option} {value!r} is not a date",
            hint="use YYYY-MM-DD, or YYYY-MM or YYYY for a whole month or year",
        ) from None


@dataclass(frozen=True)
class Filters:
    """Restrictions that narrow the matching set without affecting the score.

    Dates are whole UTC days: `since` from its midnight, `until` up to the end of its day.
    Authors and sections match as `name_key`s: case and accents do not matter, and a section
    matches by the name `newsbot stats` shows ("U.S.") or its path name ("us").
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

    def described(self) -> list[tuple[str, wq.Query]]:
        """Each filter given, as (how the user wrote it, its query)."""
        parts: list[tuple[str, wq.Query]] = []
        if self.authors:
            label = " ".join(f"--author {name!r}" for name in self.authors)
            parts.append((label, wq.Or([_author_query(name) for name in self.authors])))
        if self.sections:
            label = " ".join(f"--section {name!r}" for name in self.sections)
            keys = [name_key(s, squash=True) for s in self.sections]
            parts.append((label, wq.Or([wq.Term("section", key) for key in keys if key])))
        if self.since or self.until:
            start = dt.datetime.combine(self.since, dt.time()) if self.since else None
            # The last day there is (9999-12-31) has no next day: no end then.
            end = (
                dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time())
                if self.until and self.until < dt.date.max
                else None
            )
            label = " ".join(
                f"--{name} {day}"
                for name, day in (("since", self.since), ("until", self.until))
                if day
            )
            parts.append((label, wq.DateRange("published", start, end, endexcl=True)))
        return parts

    def to_query(self) -> wq.Query | None:
        parts = [q for _, q in self.described()]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)


def _author_query(name: str) -> wq.Query:
    """A full name matches the authors keyword exactly; a single word matches within the byline."""
    exact = wq.Term("authors", name_key(name))
    words = [t.text for t in SCHEMA["byline"].analyzer(name)]
    if not words:
        return exact
    in_byline = wq.Term("byline", words[0]) if len(words) == 1 else wq.Phrase("byline", words)
    return wq.Or([exact, in_byline])
