"""Drops copies of stored articles under other URLs and flags (or drops) near-duplicates.

Three levels, persistent across crawls in `newsbot-dedupe.sqlite3` beside the index:

1. Same canonical URL (tracking variants included: the clean pipeline already canonicalised
   them): passes, so the index updates the one document and records a revision.
2. Same `content_hash` under another URL (AMP, print or syndicated copies): dropped
   as `DuplicateArticle`, and the stored article records the URL in `alternates`. When the
   stored URL is itself the worse address (an AMP or print URL) and the new one is the plain
   article URL, the new item takes over instead and the old URL becomes its alternate.
   A page fetched from another address that names a stored canonical URL (an AMP page with
   rel=canonical) is such a copy too, even when its text differs a little.

A page's canonical link is a claim, and a wrong one must not cost an article: page A naming
B as its canonical URL conflicts with B when B is stored with other text (not even a
near-duplicate), or when A is stored as an article of its own. Then A is kept under its own
URL and B stays as it was; the conflict is logged once per page as a WARNING and counted in
`newsbot/dedupe/canonical_conflict`.
3. Near-duplicate (estimated Jaccard similarity of word 3-shingles, by MinHash, at least
   `NEWSBOT_DEDUPE_NEAR_THRESHOLD`): the later-published of the two gets `near_duplicate_of` =
   the other's URL (a stored one is amended through the index pipeline); with
   `NEWSBOT_DEDUPE_NEAR=drop` the newcomer is dropped as `NearDuplicate` instead.
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

from newsbot.pipelines import close_because_busy
from newsbot.pipelines import signals as newsbot_signals
from newsbot.search.writer import Commit, CrawlLock, IndexBusy
from newsbot.state.dedupe_store import STORE_FILE, DedupeStore, utc_text
from newsbot.state.minhash import SCHEME, minhash, similarity
from newsbot.urls import SITE_DOMAIN, canonical_article_url, is_site_host

logger = logging.getLogger(__name__)

NEAR_MODES = ("keep", "drop")
# Addresses that serve an article in another wrapper; the plain article URL is preferred.
# (Item URLs are canonical, without a query, so only the path can say so.)
_WRAPPER_URL = re.compile(r"\.amp\.html$|/amp/|/print/")


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
        lock_timeout: float = 30.0,
        crawler: Crawler | None = None,
    ) -> None:
        if near not in NEAR_MODES:
            raise ValueError(f"NEWSBOT_DEDUPE_NEAR must be one of {NEAR_MODES}, not {near!r}")
        self.store = DedupeStore(store_path, threshold=near_threshold)
        self.lock = CrawlLock(store_path.parent, lock_timeout)
        self.index_dir = store_path.parent
        self.near = near
        self.crawler = crawler
        self._conflicts_logged: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWSBOT_DEDUPE_ENABLED", True):
            raise NotConfigured("NEWSBOT_DEDUPE_ENABLED is off")
        pipeline = cls(
            store_path=Path(settings.get("NEWSBOT_INDEX_DIR")) / STORE_FILE,
            near=settings.get("NEWSBOT_DEDUPE_NEAR", "keep"),
            near_threshold=settings.getfloat("NEWSBOT_DEDUPE_NEAR_THRESHOLD", 0.8),
            lock_timeout=settings.getfloat("NEWSBOT_INDEX_LOCK_TIMEOUT", 30.0),
            crawler=crawler,
        )
        crawler.signals.connect(pipeline._index_committed, newsbot_signals.index_committed)
        return pipeline

    def open_spider(self) -> None:
        # Before touching the store: another crawl on this index owns it until it finishes.
        try:
            self.lock.acquire()
        except IndexBusy as busy:
            raise close_because_busy(busy, logger) from busy
        try:
            self.store.open()
            added = self.store.reconcile(self.index_dir)
        except Exception:
            # close_spider skips a store that is not open, so the lock is let go here.
            if self.store.is_open:
                self.store.close()
            self.lock.release()
            raise
        if self.store.resigned:
            logger.warning(
                "De-duplication signatures are of an older MinHash scheme; re-signed %d "
                "articles from the index (scheme %d)",
                self.store.resigned,
                SCHEME,
            )
        if added:
            logger.warning(
                "De-duplication state was behind the index after an unclean stop; "
                "re-synced %d articles from the index",
                added,
            )

    def close_spider(self) -> None:
        if not self.store.is_open:  # open_spider failed: another crawl owns the index
            return
        self.store.commit()
        self.store.close()
        self.lock.release()

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        url, content_hash = adapter["url"], adapter.get("content_hash")
        if not content_hash:  # nothing to compare; validation decides whether it may pass
            return item
        fetched = canonical_article_url(adapter.get("source_url") or url)
        if fetched != url and self._conflicts_with_canonical(adapter, fetched):
            url = adapter["url"] = fetched
        for address in {url, fetched}:
            primary = self.store.primary_for(address)
            if primary is not None and primary != url:
                self._inc("duplicate")
                raise DuplicateArticle(f"{address} is a known alternate of {primary}")
        if self.store.has(url):
            if fetched != url:
                # The page named its canonical URL, which is stored: a copy (AMP, print) of an
                # article we have, not a new version of it.
                self._alternate(url, fetched)
                raise DuplicateArticle(f"{fetched} is a copy of the stored {url}")
            self._inc("same_url")
        else:
            if fetched != url:
                adapter["alternates"] = [*(adapter.get("alternates") or []), fetched]
                self.store.add_alias(fetched, url)
            self._check_content(adapter)
        signature = minhash(adapter.get("body") or "")
        self._check_near(adapter, signature)
        self.store.remember(url, content_hash, signature, adapter.get("published"))
        return item

    def _conflicts_with_canonical(self, adapter: ItemAdapter, fetched: str) -> bool:
        """Whether the page fetched at `fetched` must not be taken for its canonical URL's
        article (see the module docstring); logs and counts the conflict."""
        canonical = adapter["url"]
        if self.store.primary_for(fetched) == canonical:
            return False  # a known copy of it (AMP, print): the copy rule applies
        if self.store.has(fetched):
            why = f"{fetched} is stored as an article of its own"
        else:
            stored = self.store.signature_of(canonical)
            if stored is None:
                return False  # a new article, first seen through a copy
            score = similarity(minhash(adapter.get("body") or ""), stored)
            if score >= self.store.threshold:
                return False
            why = f"the stored {canonical} has other text (similarity {score:.2f})"
        self._inc("canonical_conflict")
        if (fetched, canonical) not in self._conflicts_logged:
            self._conflicts_logged.add((fetched, canonical))
            logger.warning(
                "Canonical conflict: the page at %s names %s as its canonical URL, but %s; "
                "kept under its own URL, and %s left as it was",
                fetched,
                canonical,
                why,
                canonical,
            )
        return True

    def _check_near(self, adapter: ItemAdapter, signature: bytes) -> None:
        """Level 3: flag the later-published of two near-duplicates (or drop the newcomer)."""
        url = adapter["url"]
        adapter["near_duplicate_of"] = None
        match = self.store.near(signature, exclude=url)
        if match is None:
            return
        self._inc("near")
        if self.near == "drop":
            raise NearDuplicate(
                f"{url} is a near-duplicate of {match.url} (similarity {match.similarity:.2f})"
            )
        published = utc_text(adapter.get("published"))
        if published and match.published and published < match.published:
            # The stored one is the later copy, so it is the near-duplicate, whatever the order
            # the crawl happened to find them in.
            self._send(newsbot_signals.near_duplicate_found, url=match.url, of=url)
        else:
            adapter["near_duplicate_of"] = match.url

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
        self._alternate(other, url)
        raise DuplicateArticle(f"{url} has the same content as {other}")

    def _alternate(self, url: str, alternate: str) -> None:
        self.store.add_alias(alternate, url)
        self._send(newsbot_signals.alternate_found, url=url, alternate=alternate)
        self._inc("duplicate")

    def _send(self, signal: object, **kwargs: str) -> None:
        if self.crawler is not None:
            self.crawler.signals.send_catch_log(signal, **kwargs)

    def _index_committed(self, commit: Commit) -> None:
        self.store.commit(confirmed_until=commit.sealed_at)

    def _inc(self, what: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsbot/dedupe/{what}")
