"""What is in the index: how many articles, from when, from which sections, and its size."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh.searching import Searcher

from newsbot.search.schema import document_to_item, utc_naive
from newsbot.search.writer import read_crawl_state

NO_SECTION = "(none)"


@dataclass
class IndexStats:
    documents: int = 0
    oldest: str | None = None
    newest: str | None = None
    sections: dict[str, int] = field(default_factory=dict)
    size_bytes: int = 0
    last_crawl: str | None = None
    # How the most recent crawl ended: finished, failed, stopped, or running (still running,
    # or killed); and Scrapy's finish reason (no_articles, site_unreachable, ...).
    last_crawl_status: str | None = None
    last_crawl_finish_reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def index_size(index_dir: Path) -> int:
    """Bytes on disk of the files in the index directory."""
    return sum(p.stat().st_size for p in index_dir.iterdir() if p.is_file())


def collect(searcher: Searcher, index_dir: Path) -> IndexStats:
    """One pass over the stored items.

    oldest/newest are the items' own `published` strings (with their offsets), compared as UTC.
    The last crawl is when the last finished crawl finished, as the index pipeline records it;
    for an index built by `reindex` (no crawl record) it is the latest `crawled_at` among stored
    items: when the newest page in the archive was fetched.
    """
    stats = IndexStats(documents=searcher.doc_count(), size_bytes=index_size(index_dir))
    sections: Counter[str] = Counter()
    oldest = newest = None
    for stored in searcher.reader().all_stored_fields():
        item = document_to_item(stored)
        sections[item.get("section") or NO_SECTION] += 1
        published = item.get("published")
        when = utc_naive(published)
        if when is not None:
            if oldest is None or when < oldest[0]:
                oldest = (when, published)
            if newest is None or when > newest[0]:
                newest = (when, published)
        crawled = item.get("crawled_at")
        if crawled and (
            stats.last_crawl is None or utc_naive(crawled) > utc_naive(stats.last_crawl)
        ):
            stats.last_crawl = crawled
    state = read_crawl_state(index_dir)
    finished = state.get("last_finished_crawl", {}).get("finished_at")
    if finished:
        stats.last_crawl = finished
    last = state.get("last_crawl", {})
    stats.last_crawl_status = last.get("status")
    stats.last_crawl_finish_reason = last.get("finish_reason")
    if last.get("status") not in (None, "finished"):
        # The crawl that did not finish well is the one to show, with when it started.
        stats.last_crawl = last.get("finished_at") or last.get("started_at") or stats.last_crawl
    stats.oldest = oldest[1] if oldest else None
    stats.newest = newest[1] if newest else None
    stats.sections = dict(sorted(sections.items(), key=lambda kv: (-kv[1], kv[0])))
    return stats
