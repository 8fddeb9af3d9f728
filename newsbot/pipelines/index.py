"""Stores each article in the Whoosh index, and releases it to the feed only once committed.

Items are batched and committed every `NEWSBOT_INDEX_COMMIT_ITEMS` items or when the oldest
waiting item is `NEWSBOT_INDEX_COMMIT_SECONDS` old, and at close. `process_item` does not return
until the item's batch is committed, so Scrapy's feed exporter (which writes on `item_scraped`)
only ever sees committed items. Invariant after a SIGKILL: every complete line of the feed is a
document in the index; the index may additionally hold the last items whose feed lines were still
in the exporter's unflushed write buffer; the batch being built is lost from both.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from newsbot.dates import utc_now_iso
from newsbot.pipelines import close_because_busy
from newsbot.pipelines import signals as newsbot_signals
from newsbot.search.writer import ArchiveWriter, IndexBusy

logger = logging.getLogger(__name__)

# How often the commit timer looks at the batch's age; a small fraction of any sensible
# NEWSBOT_INDEX_COMMIT_SECONDS.
_TICK_SECONDS = 0.2


class IndexPipeline:
    def __init__(
        self,
        index_dir: Path,
        commit_items: int = 100,
        commit_seconds: float = 5.0,
        lock_timeout: float = 30.0,
        crawler: Crawler | None = None,
    ) -> None:
        self.writer = ArchiveWriter(index_dir, lock_timeout)
        self.commit_items = max(1, commit_items)
        self.commit_seconds = commit_seconds
        self.crawler = crawler
        self._waiting: list[Deferred[None]] = []
        self._oldest: float | None = None
        self._timer: Any = None
        self._written = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWSBOT_INDEX_ENABLED", True):
            raise NotConfigured("NEWSBOT_INDEX_ENABLED is off")
        pipeline = cls(
            index_dir=Path(settings.get("NEWSBOT_INDEX_DIR")),
            commit_items=settings.getint("NEWSBOT_INDEX_COMMIT_ITEMS", 100),
            commit_seconds=settings.getfloat("NEWSBOT_INDEX_COMMIT_SECONDS", 5.0),
            lock_timeout=settings.getfloat("NEWSBOT_INDEX_LOCK_TIMEOUT", 30.0),
            crawler=crawler,
        )
        crawler.signals.connect(pipeline._alternate_found, newsbot_signals.alternate_found)
        crawler.signals.connect(
            pipeline._near_duplicate_found, newsbot_signals.near_duplicate_found
        )
        return pipeline

    def open_spider(self) -> None:
        try:
            self.writer.open()
        except IndexBusy as busy:
            raise close_because_busy(busy, logger) from busy
        previous = self.writer.record_crawl(started_at=utc_now_iso(), status="running")
        if previous.get("status") == "running":
            logger.warning(
                "The previous crawl (started %s) did not finish; the index holds what it "
                "committed, up to its last batch",
                previous.get("started_at"),
            )
        self._timer = create_looping_call(self._tick)
        self._timer.start(_TICK_SECONDS, now=False)

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        data = adapter.asdict()
        outcome = self.writer.put(data)
        # The writer merged in the alternates already stored; the feed should list them too.
        adapter["alternates"] = data["alternates"]
        self._inc_stat(f"newsbot/index/{outcome}")
        if self._oldest is None:
            self._oldest = time.monotonic()
        committed: Deferred[None] = Deferred()
        self._waiting.append(committed)
        if self.writer.pending >= self.commit_items:
            self.commit()
        await maybe_deferred_to_future(committed)
        return item

    def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        if not self.writer.is_open:  # open_spider failed: another crawl owns the index
            return
        try:
            committed = self.commit()
            self.writer.record_crawl(
                finished_at=utc_now_iso(),
                status="finished" if committed else "failed",
                documents_written=self._written,
            )
        finally:
            self.writer.close()

    def commit(self) -> bool:
        """Commit the batch and release its items to the rest of Scrapy (feed, stats).

        If the commit fails, each waiting item fails with the error (Scrapy logs it and counts
        it in item_error stats) and False is returned; the next batch tries again.
        """
        waiting, self._waiting, self._oldest = self._waiting, [], None
        try:
            done = self.writer.commit()
        except Exception as error:
            logger.error("Index commit failed, %d items not stored: %s", len(waiting), error)
            for deferred in waiting:
                deferred.errback(error)
            return False
        if done is not None:
            self._written += len(done.written)
            self._inc_stat("newsbot/index/commits")
            if self.crawler is not None:
                self.crawler.signals.send_catch_log(newsbot_signals.index_committed, commit=done)
        for deferred in waiting:
            deferred.callback(None)
        return True

    def _tick(self) -> None:
        if self._oldest is not None and time.monotonic() - self._oldest >= self.commit_seconds:
            self.commit()

    def _alternate_found(self, url: str, alternate: str) -> None:
        if self.writer.add_alternate(url, alternate):
            self._amended("alternates_recorded")

    def _near_duplicate_found(self, url: str, of: str) -> None:
        if self.writer.set_near_duplicate(url, of):
            self._amended("near_duplicates_marked")

    def _amended(self, what: str) -> None:
        # An amendment rides with the next batch; start its clock if it is the first change.
        if self._oldest is None:
            self._oldest = time.monotonic()
        self._inc_stat(f"newsbot/index/{what}")

    def _inc_stat(self, key: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)
