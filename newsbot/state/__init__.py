"""The crawl's two stores behind one seam: the incremental crawl state and the de-duplication
store, each with its backends side by side.

- Crawl state (what earlier crawls stored, so a re-crawl skips unchanged articles): SQLite beside
  the index for a single crawl (`crawlstate.CrawlState`), Redis for a fleet
  (`RedisCrawlState`), because workers on other machines must read what the index writer
  recorded. Both answer `CrawlStateBackend`; the spider only calls `needs_fetch` and `record`.
- De-duplication store: SQLite beside the index (`dedupe_store.DedupeStore`, its signatures
  from `minhash`) in both modes. Only the one index writer uses it, and it commits in step with
  the index (see its docstring); a copy in Redis would be a second source of truth that a kill
  could put out of step. It repairs itself from the index through `newsbot.search.stored`, so
  only `newsbot/search/` imports whoosh.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from newsbot.state.crawlstate import CrawlState as SqliteCrawlState
    from newsbot.state.crawlstate import StoredArticle, newest
    from newsbot.state.dedupe_store import DedupeStore
    from newsbot.state.redis_backend import DeferredRecords, RedisCrawlState

# Loaded when first asked for: importing `newsbot.state.crawlstate` runs this file, and a
# crawl on one machine has no use for the Redis client (30 ms) or, in a spider, for numpy.
_LAZY = {
    "SqliteCrawlState": ("newsbot.state.crawlstate", "CrawlState"),
    "StoredArticle": ("newsbot.state.crawlstate", "StoredArticle"),
    "newest": ("newsbot.state.crawlstate", "newest"),
    "DedupeStore": ("newsbot.state.dedupe_store", "DedupeStore"),
    "DeferredRecords": ("newsbot.state.redis_backend", "DeferredRecords"),
    "RedisCrawlState": ("newsbot.state.redis_backend", "RedisCrawlState"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


class CrawlStateBackend(Protocol):
    def get(self, url: str) -> StoredArticle | None: ...

    def needs_fetch(self, urls: list[str], changed: str | None) -> bool: ...

    def record(
        self, urls: list[str], canonical_url: str, modified: str | None, source_date: str | None
    ) -> None: ...

    def commit(self) -> None: ...

    def close(self) -> None: ...


__all__ = [
    "CrawlStateBackend",
    "DedupeStore",
    "DeferredRecords",
    "RedisCrawlState",
    "SqliteCrawlState",
    "StoredArticle",
    "newest",
]
