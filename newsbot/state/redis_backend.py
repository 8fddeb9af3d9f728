"""The crawl state in Redis, for a fleet: one hash, URL -> JSON record, kept across runs.

Same contract as the SQLite `CrawlState` (it inherits `needs_fetch`, the decision itself): a
record is written only once the item is committed to the index, by the index writer.
"""

from __future__ import annotations

import json
from typing import Any

from newsbot.fleet import connection
from newsbot.state.crawlstate import CrawlState, StoredArticle, record_rows


class RedisCrawlState(CrawlState):
    def __init__(self, server: Any, key: str = connection.CRAWL_STATE) -> None:
        # Not CrawlState.__init__: there is no SQLite file here.
        self.server = server
        self.key = key

    def close(self) -> None:
        return None

    def get(self, url: str) -> StoredArticle | None:
        raw = self.server.hget(self.key, url)
        return StoredArticle(*json.loads(raw)) if raw else None

    def record(
        self,
        urls: list[str],
        canonical_url: str,
        modified: str | None,
        source_date: str | None,
    ) -> None:
        rows = record_rows(self, urls, canonical_url, modified, source_date)
        if rows:
            self.server.hset(self.key, mapping={row[0]: json.dumps(row[1:]) for row in rows})

    def commit(self) -> None:
        return None  # every record is written at once

    def __len__(self) -> int:
        canonical = {json.loads(v)[0] for v in self.server.hvals(self.key)}
        return len(canonical)


class DeferredRecords:
    """A crawl state for a fleet worker: reads go to the shared state, and `record` (which the
    spider calls when it hands an item on) is kept, so the record can travel with the item and
    be written by the index writer after the commit."""

    def __init__(self, backend: CrawlState) -> None:
        self.backend = backend
        self._pending: dict[str, list[Any]] = {}

    def get(self, url: str) -> StoredArticle | None:
        return self.backend.get(url)

    def needs_fetch(self, urls: list[str], changed: str | None) -> bool:
        return self.backend.needs_fetch(urls, changed)

    def record(
        self,
        urls: list[str],
        canonical_url: str,
        modified: str | None,
        source_date: str | None,
    ) -> None:
        self._pending[canonical_url] = [urls, canonical_url, modified, source_date]

    def commit(self) -> None:
        return None  # nothing is written here: the index writer records after its commit

    def take(self) -> list[Any] | None:
        """The record made last (the hand-off takes it right after the spider made it)."""
        return self._pending.popitem()[1] if self._pending else None

    def close(self) -> None:
        self.backend.close()
