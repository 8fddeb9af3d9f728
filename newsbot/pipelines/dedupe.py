"""Drops copies of stored articles under other URLs and flags (or drops) near-duplicates.

Three levels, persistent across crawls in `newsbot-dedupe.sqlite3` beside the index:

1. Same canonical URL: passes, so the index updates the one document and records a revision.
2. Same `content_hash` under another URL (AMP, print, syndicated or tracking variants): dropped
   as `DuplicateArticle`, and the stored article records the URL in `alternates`. When the
   stored URL is itself the worse address (an AMP or print URL) and the new one is the plain
   article URL, the new item takes over instead and the old URL becomes its alternate.
3. Near-duplicate (estimated Jaccard similarity of word 3-shingles, by MinHash, at least
   `NEWSBOT_DEDUPE_NEAR_THRESHOLD`): `near_duplicate_of` is set to the most similar stored URL;
   with `NEWSBOT_DEDUPE_NEAR=drop` the item is dropped as `NearDuplicate` instead.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from newsbot.pipelines import signals as newsbot_signals
from newsbot.search.dedupe_store import STORE_FILE, DedupeStore, minhash
from newsbot.search.writer import Commit
from newsbot.urls import SITE_DOMAIN, is_site_host

logger = logging.getLogger(__name__)

NEAR_MODES = ("keep", "drop")
# Addresses that serve an article in another wrapper; the plain article URL is preferred.
_WRAPPER_URL = re.compile(r"\.amp\.html$|/amp/|/print/|[?&](?:amp|print)(?:=|&|$)")


class DuplicateArticle(DropItem):
    """The same content is already stored under another URL."""


class NearDuplicate(DropItem):
    """Nearly the same text is already stored under another URL (NEWSBOT_DEDUPE_NEAR=drop)."""


def url_rank(url: str) -> int:
    """Lower is a better address for an article: the site's own plain URL first."""
    return int(bool(_WRAPPER_URL.search(url))) + 2 * int(
        not is_site_host(urlsplit(url).hostname, SITE_DOMAIN)
    )


class DedupePipeline:
    def __init__(
        self,
        store_path: Path,
        near: str = "keep",
        near_threshold: float = 0.8,
        crawler: Crawler | None = None,
    ) -> None:
        if near not in NEAR_MODES:
            raise ValueError(f"NEWSBOT_DEDUPE_NEAR must be one of {NEAR_MODES}, not {near!r}")
        self.store = DedupeStore(store_path, threshold=near_threshold)
        self.index_dir = store_path.parent
        self.near = near
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWSBOT_DEDUPE_ENABLED", True):
            raise NotConfigured("NEWSBOT_DEDUPE_ENABLED is off")
        pipeline = cls(
            store_path=Path(settings.get("NEWSBOT_INDEX_DIR")) / STORE_FILE,
            near=settings.get("NEWSBOT_DEDUPE_NEAR", "keep"),
            near_threshold=settings.getfloat("NEWSBOT_DEDUPE_NEAR_THRESHOLD", 0.8),
            crawler=crawler,
        )
        crawler.signals.connect(pipeline._index_committed, newsbot_signals.index_committed)
        return pipeline

    def open_spider(self) -> None:
        self.store.open()
        added = self.store.reconcile(self.index_dir)
        if added:
            logger.warning(
                "De-duplication state was behind the index after an unclean stop; "
                "re-synced %d articles from the index",
                added,
            )

    def close_spider(self) -> None:
        self.store.commit()
        self.store.close()

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        url, content_hash = adapter["url"], adapter.get("content_hash")
        if not content_hash:  # nothing to compare; validation decides whether it may pass
            return item
        primary = self.store.primary_for(url)
        if primary is not None and primary != url:
            self._inc("duplicate")
            raise DuplicateArticle(f"{url} is a known alternate of {primary}")
        if self.store.get(url) is not None:
            self._inc("same_url")
        else:
            self._check_content(adapter)
        signature = minhash(adapter.get("body") or "")
        near = self.store.near(signature, exclude=url)
        adapter["near_duplicate_of"] = near[0] if near else None
        if near:
            self._inc("near")
            if self.near == "drop":
                raise NearDuplicate(
                    f"{url} is a near-duplicate of {near[0]} (similarity {near[1]:.2f})"
                )
        self.store.remember(url, content_hash, signature)
        return item

    def _check_content(self, adapter: ItemAdapter) -> None:
        """Level 2: drop a copy of a stored article, or let the better address take over."""
        url = adapter["url"]
        other = self.store.url_for_content(adapter["content_hash"])
        if other is None:
            self._inc("new")
            return
        if url_rank(url) < url_rank(other):
            adapter["alternates"] = [*(adapter.get("alternates") or []), other]
            self.store.forget(other)
            self.store.add_alias(other, url)
            self._inc("promoted")
            return
        self.store.add_alias(url, other)
        if self.crawler is not None:
            self.crawler.signals.send_catch_log(
                newsbot_signals.alternate_found, url=other, alternate=url
            )
        self._inc("duplicate")
        raise DuplicateArticle(f"{url} has the same content as {other}")

    def _index_committed(self, commit: Commit) -> None:
        self.store.commit()

    def _inc(self, what: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsbot/dedupe/{what}")
