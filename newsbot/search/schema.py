"""The Whoosh schema, and the mapping between an article item and an index document.

The full item is stored as JSON in `item`, so export gives back exactly what the crawl fed in;
the other fields exist to be searched, filtered, sorted or faceted.

Text is searched with accents folded and authors and sections are matched by `name_key`, but
the stored item keeps the original text, and the facet fields keep the names as displayed.
An index written with another schema (an older newsbot) is rebuilt by `search/upgrade.py`.
"""

from __future__ import annotations

import json
from typing import Any

from whoosh import index
from whoosh.analysis import Analyzer
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.writing import IndexWriter

from newsbot.dates import utc_naive
from newsbot.search.analysis import FastStandardAnalyzer, FastStemmingAnalyzer, KeyAnalyzer
from newsbot.search.codec import CompactCodec, CompactPositions
from newsbot.search.segment_writer import CompactSegmentWriter
from newsbot.text import sanitized

_STEM = FastStemmingAnalyzer()


def _text(analyzer: Analyzer | None = None, field_boost: float = 1.0) -> TEXT:
    """A phrase-searchable text field whose positions CompactCodec stores compactly."""
    field = TEXT(analyzer=analyzer or FastStandardAnalyzer(), field_boost=field_boost)
    field.format = CompactPositions(field_boost=field_boost)
    return field


SCHEMA = Schema(
    url=ID(stored=True, unique=True),
    headline=_text(_STEM, field_boost=3.0),
    summary=_text(_STEM),
    body=_text(_STEM),
    byline=_text(),
    authors=KEYWORD(analyzer=KeyAnalyzer(), commas=True, scorable=True),
    caption=_text(_STEM),
    credit=_text(),
    # Section and subsection keys ("us", "americas"), so either one filters.
    section=KEYWORD(analyzer=KeyAnalyzer(squash=True), commas=True),
    subsection=KEYWORD(analyzer=KeyAnalyzer(squash=True), commas=True),
    # The names as shown, for facets.
    section_name=ID(),
    subsection_name=ID(),
    author_names=KEYWORD(commas=True),
    published=DATETIME(sortable=True),
    word_count=NUMERIC(sortable=True),
    content_hash=ID(stored=True),
    item=STORED(),
    history=STORED(),
    # Added by the index writer (search/history.py): revision bookkeeping, and the other URLs
    # that carried this article so `newsbot history AMP_URL` finds it.
    alternates=KEYWORD(),
    revisions=NUMERIC(stored=True),
    first_seen=DATETIME(stored=True),
    last_seen=DATETIME(stored=True, sortable=True),
)


def _comparable(field: Any) -> tuple[type, dict[str, Any]]:
    state = dict(vars(field))
    # Whoosh compares fields by their attributes, but a sortable number field holds a
    # struct.Struct and a column object that only compare equal to themselves.
    if "_struct" in state:
        state["_struct"] = state["_struct"].format
    if state.get("column_type") is not None:
        column = state["column_type"]
        state["column_type"] = (type(column), vars(column))
    return type(field), state


def same_schema(first: Schema, second: Schema) -> bool:
    """Whether two schemas index alike. Whoosh's == says no as soon as one of them has been
    read back from an index, because of the sortable number fields."""
    if first.names() != second.names():
        return False
    return all(_comparable(first[name]) == _comparable(second[name]) for name in first.names())


def open_writer(ix: index.Index, **options: Any) -> IndexWriter:
    """A writer on `ix` that writes new segments with CompactCodec; options go to Whoosh.

    Every writer must come from here: Whoosh's default codec would write segments 2-3x larger.
    A writer in one process merges segments by streaming them (search/segment_writer.py);
    Whoosh's multiprocess writer (`procs` > 1) keeps its own way.
    """
    if options.get("procs", 1) > 1:
        return ix.writer(codec=CompactCodec(), **options)
    options.pop("procs", None)
    return CompactSegmentWriter(ix, codec=CompactCodec(), **options)


def item_to_document(item: dict[str, Any]) -> dict[str, Any]:
    """The index document for `item`. Whatever wrote the item (a crawl, a hand-made feed given
    to reindex), what is stored and indexed has no control characters or bidi overrides."""
    item = sanitized(item)
    captions = item.get("captions") or []
    document: dict[str, Any] = {
        "url": item["url"],
        "headline": item.get("headline") or "",
        "summary": item.get("summary") or "",
        "body": item.get("body") or "",
        "byline": item.get("byline") or " ".join(item.get("authors") or []),
        "authors": ",".join(item.get("authors") or []),
        "caption": "\n".join(c.get("text") or "" for c in captions),
        "credit": "\n".join(c.get("credit") or "" for c in captions),
        "section": ",".join(s for s in (item.get("section"), item.get("subsection")) if s),
        "subsection": item.get("subsection") or "",
        "section_name": item.get("section") or "",
        "subsection_name": item.get("subsection") or "",
        "author_names": ",".join(item.get("authors") or []),
        "content_hash": item.get("content_hash") or "",
        "alternates": " ".join(item.get("alternates") or []),
        "item": json.dumps(item, ensure_ascii=False, sort_keys=False),
    }
    published = utc_naive(item.get("published"))
    if published is not None:
        document["published"] = published
    if item.get("word_count") is not None:
        document["word_count"] = int(item["word_count"])
    return {k: v for k, v in document.items() if v != ""}


def document_to_item(stored: dict[str, Any]) -> dict[str, Any]:
    return json.loads(stored["item"])
