"""Facet counts for a long-running reader: sections, authors and months over every match.

`search(..., facets=True)` groups with Whoosh's facets, which read the whole posting list of
every author and section on each search: about 0.5 s per search at 100,000 articles, whatever
the query. A server asks for facets on every page, so it reads those lists once per index
segment into per-article tables (about 1 s per 100,000 articles), and counts each match set
against them. The counts are the
same as `search`'s (test_web_app.py checks it through /api/search).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from newsbot.search.query import Filters, parse_query
from newsbot.search.searcher import FACET_FIELDS, FACET_TOP, _match_set, filter_docs

# The same fields `search()` groups by: names as the articles show them.
_KEYWORD_FIELDS = FACET_FIELDS


@dataclass(frozen=True)
class _Table:
    """For each document number (of a segment, or of the whole index): its section, subsection
    and author names, and its month."""

    terms: dict[str, list[tuple[str, ...]]]
    published: list[dt.datetime | None]  # naive UTC, as the index stores it
    months: list[str | None]


def _read_segment(leaf: IndexReader) -> _Table:
    size = leaf.doc_count_all()
    terms: dict[str, list[tuple[str, ...]]] = {}
    for name, fieldname in _KEYWORD_FIELDS.items():
        per_doc: list[list[str]] = [[] for _ in range(size)]
        if fieldname in leaf.indexed_field_names():
            for text in leaf.field_terms(fieldname):
                if not text:  # an article without a section or author: no facet value
                    continue
                for docnum in leaf.postings(fieldname, text).all_ids():
                    per_doc[docnum].append(text)
        terms[name] = [tuple(values) for values in per_doc]
    published = [w if isinstance(w, dt.datetime) else None for w in leaf.column_reader("published")]
    months = [when.strftime("%Y-%m") if when else None for when in published]
    return _Table(terms, published, months)


def _joined(tables: list[_Table]) -> _Table:
    terms = {name: [row for t in tables for row in t.terms[name]] for name in _KEYWORD_FIELDS}
    return _Table(
        terms,
        [when for t in tables for when in t.published],
        [month for t in tables for month in t.months],
    )


@dataclass(frozen=True)
class Matches:
    """The documents a query matches under all filters (`shown`), and under all but the date
    range (`any_date`), which a timeline draws so that other months stay in view."""

    shown: set[int]
    any_date: set[int]


class FacetCounter:
    """Keeps a table per index segment, so after a crawl commits only its new segment is read
    (a segment never changes; deletions only leave its documents out of every match set)."""

    def __init__(self) -> None:
        self._segments: dict[str, _Table] = {}
        self._joined: tuple[int, _Table] | None = None
        self._lock = threading.Lock()

    def _current(self, searcher: Searcher) -> _Table:
        reader = searcher.reader()
        generation = reader.generation()
        with self._lock:
            if self._joined is not None and self._joined[0] == generation:
                return self._joined[1]
            leaves = [leaf for leaf, _ in reader.leaf_readers()]
            kept = {}
            for leaf in leaves:
                key = leaf.segment().segment_id()
                kept[key] = self._segments.get(key) or _read_segment(leaf)
            self._segments = kept
            table = _joined([kept[leaf.segment().segment_id()] for leaf in leaves])
            self._joined = (generation, table)
            return table

    def warm(self, searcher: Searcher) -> None:
        """Read the tables now rather than on the first search."""
        self._current(searcher)

    def matches(self, searcher: Searcher, text: str, filters: Filters) -> Matches:
        q = parse_query(text)
        undated = Filters(authors=filters.authors, sections=filters.sections)
        within = filter_docs(searcher, undated.to_query())
        if within is not None and not within:
            return Matches(set(), set())
        any_date = _match_set(searcher, q, within)
        if not (filters.since or filters.until):
            return Matches(any_date, any_date)
        # The date range as Filters.to_query() draws it (whole UTC days, the end excluded), but
        # checked against the table: reading the range's posting lists costs ~13 ms a page.
        start = dt.datetime.combine(filters.since or dt.date.min, dt.time())
        end = (
            dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time())
            if filters.until and filters.until < dt.date.max
            else dt.datetime.max
        )
        published = self._current(searcher).published
        shown = {d for d in any_date if (when := published[d]) and start <= when < end}
        return Matches(shown, any_date)

    def count(self, searcher: Searcher, docs: Iterable[int]) -> dict[str, dict[str, int]]:
        """Counts in the shape of SearchResult.facets: the top sections and authors by count
        (then name), and every month, newest first."""
        table = self._current(searcher)
        docs = list(docs)
        counts: dict[str, dict[str, int]] = {}
        for name, per_doc in table.terms.items():
            counter = Counter(term for docnum in docs for term in per_doc[docnum])
            ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_TOP]
            counts[name] = dict(ranked)
        months = Counter(month for docnum in docs if (month := table.months[docnum]))
        counts["month"] = dict(sorted(months.items(), reverse=True))
        return counts

    def months(self, searcher: Searcher, docs: Iterable[int]) -> dict[str, int]:
        table = self._current(searcher)
        return dict(Counter(month for docnum in docs if (month := table.months[docnum])))
