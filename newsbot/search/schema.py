"""The Whoosh schema, and the mapping between an article item and an index document.

The full item is stored as JSON in `item`, so export gives back exactly what the crawl fed in;
the other fields exist to be searched, filtered, sorted or faceted.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

_STEM = StemmingAnalyzer()

SCHEMA = Schema(
    url=ID(stored=True, unique=True),
    headline=TEXT(analyzer=_STEM, field_boost=3.0),
    summary=TEXT(analyzer=_STEM),
    body=TEXT(analyzer=_STEM),
    byline=TEXT(),
    authors=KEYWORD(commas=True, lowercase=True, scorable=True),
    caption=TEXT(analyzer=_STEM),
    credit=TEXT(),
    section=KEYWORD(commas=True, lowercase=True),
    subsection=KEYWORD(lowercase=True, commas=True),
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


def utc_naive(iso: str | None) -> dt.datetime | None:
    """An ISO 8601 instant as naive UTC, because Whoosh drops tzinfo; the offset stays in `item`."""
    if not iso:
        return None
    when = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if when.tzinfo is None:
        return when
    return when.astimezone(dt.UTC).replace(tzinfo=None)


def item_to_document(item: dict[str, Any]) -> dict[str, Any]:
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
