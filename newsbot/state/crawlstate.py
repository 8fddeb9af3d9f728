"""What earlier crawls stored, so a re-crawl fetches only new or changed articles.

A small SQLite file (`NEWSBOT_STATE_PATH`, default `<NEWSBOT_INDEX_DIR>/crawlstate.sqlite`). One row
per article URL (canonical URL and, when different, the URL that was fetched), with the newest
date any source gave for it and when it was stored. A row is written only once the item has
passed every pipeline (the spider records it on `item_scraped`, which the index pipeline sends
only after the item's batch is committed), so a dropped item is retried.

Rows are committed in step with the index, on its `index_committed` signal, and at close: one
SQLite commit (an fsync) per article cost 18 ms, more than the article's parsing and indexing
together. A crash loses the uncommitted rows, whose articles the next crawl fetches again and
finds unchanged; `MAX_UNCOMMITTED` bounds that when no index commits (index pipeline off).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from newsbot.dates import parse_datetime, utc_now_iso

logger = logging.getLogger(__name__)

# Rows after which `record` commits by itself, whatever the index does.
MAX_UNCOMMITTED = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    url TEXT PRIMARY KEY,        -- canonical URL, or a fetched URL that led to it
    canonical_url TEXT NOT NULL,
    modified TEXT,               -- newest of the item's modified/published dates (ISO 8601)
    source_date TEXT,            -- newest sitemap lastmod / feed pubDate seen when stored
    stored_at TEXT NOT NULL      -- when the item passed the pipelines (UTC ISO 8601)
)
"""


@dataclass(frozen=True)
class StoredArticle:
    canonical_url: str
    modified: str | None
    source_date: str | None
    stored_at: str


def newest(*values: str | None) -> str | None:
    """The latest of some ISO 8601 / RFC 822 date strings (None if none parses)."""
    dated = [(parse_datetime(v), v) for v in values if v]
    dated = [(d, v) for d, v in dated if d is not None]
    return max(dated)[1] if dated else None


def record_rows(
    state: CrawlState,
    urls: list[str],
    canonical_url: str,
    modified: str | None,
    source_date: str | None,
) -> list[tuple[str, str, str | None, str | None, str]]:
    """The rows that record the article behind `urls`, one per address: (url, canonical URL,
    modified, newest source date ever seen for it, stored at). Any backend writes these."""
    when = utc_now_iso()
    rows = []
    for url in dict.fromkeys(u for u in [canonical_url, *urls] if u):
        previous = state.get(url)
        keep_source = newest(source_date, previous.source_date if previous else None)
        rows.append((url, canonical_url, modified, keep_source, when))
    return rows


class CrawlState:
    """Read and update the state file. One instance per crawl; not shared across processes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.execute(_SCHEMA)
        self._db.commit()
        self._uncommitted = 0

    def commit(self) -> None:
        """Make the rows recorded so far durable."""
        if self._uncommitted:
            self._db.commit()
            self._uncommitted = 0

    def close(self) -> None:
        """Commit what was recorded, and close."""
        try:
            self.commit()
        finally:
            self._db.close()

    def get(self, url: str) -> StoredArticle | None:
        row = self._db.execute(
            "SELECT canonical_url, modified, source_date, stored_at FROM articles WHERE url = ?",
            (url,),
        ).fetchone()
        return StoredArticle(*row) if row else None

    def needs_fetch(self, urls: list[str], changed: str | None) -> bool:
        """True unless one of `urls` is stored and `changed` (a date a source gives for the
        article now) is not newer than what was known when it was stored."""
        for url in urls:
            stored = self.get(url)
            if stored is None:
                continue
            if changed is None:
                return False
            known = parse_datetime(newest(stored.modified, stored.source_date))
            seen = parse_datetime(changed)
            return known is None or seen is None or seen > known
        return True

    def record(
        self,
        urls: list[str],
        canonical_url: str,
        modified: str | None,
        source_date: str | None,
    ) -> None:
        """Remember that the article behind `urls` was stored (durable at the next `commit`)."""
        self._db.executemany(
            "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?)",
            record_rows(self, urls, canonical_url, modified, source_date),
        )
        self._uncommitted += 1
        if self._uncommitted >= MAX_UNCOMMITTED:
            self.commit()

    def retain(self, canonical_urls: set[str]) -> int:
        """Forget every article whose canonical URL is not in `canonical_urls` (what an index
        rebuilt by `newsbot reindex` holds), so the next crawl fetches it again; return how many
        articles were forgotten."""
        before = len(self)
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS kept (url TEXT PRIMARY KEY)")
        self._db.execute("DELETE FROM kept")
        self._db.executemany(
            "INSERT OR IGNORE INTO kept VALUES (?)", ((u,) for u in canonical_urls)
        )
        self._db.execute("DELETE FROM articles WHERE canonical_url NOT IN (SELECT url FROM kept)")
        self._db.execute("DELETE FROM kept")
        self._db.commit()
        return before - len(self)

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(DISTINCT canonical_url) FROM articles").fetchone()[0]
