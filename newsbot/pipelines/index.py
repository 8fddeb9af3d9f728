"""Stores each article in the Whoosh index, and releases it to the feed only once committed.

Items are batched and committed when `NEWSBOT_INDEX_COMMIT_ITEMS` are waiting, when the oldest
waiting item is `NEWSBOT_INDEX_COMMIT_SECONDS` old, when the crawl has nothing left to do but
wait for this batch (its last pages, or Scrapy's scraper full of waiting responses), and at
close. `process_item` does not return until the item's batch is committed, so Scrapy's feed
exporter (which writes on `item_scraped`) only ever sees committed items. Invariant after a
SIGKILL: every complete line of the feed is a document in the index; the index may additionally
hold the last items whose feed lines were still in the exporter's unflushed write buffer; the
batch being built is lost from both, and so is the batch being committed unless its commit
finished (the commit process dies with the crawl; Whoosh commits are all or nothing).

Commits run in a child process (`newsbot.search.commit_worker`) while the crawl fills the next
batch; when that one is full too, further items wait their turn (one batch committing, one
filling). A waiting item keeps its response in Scrapy's scraper, which stops taking responses
beyond `SCRAPER_SLOT_MAX_ACTIVE_SIZE` bytes: settings.py sizes it for a batch and a half, since
with Scrapy's 5 MB a batch never filled and every commit waited for the timer. The
alternatives measured, and why this one: docs/crawl-throughput.md.

A full disk stops the crawl at the first failed commit, with one ERROR line and finish reason
`disk_full`; what was committed before stays searchable, and the lock is let go.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred

from newsbot.dates import utc_now_iso
from newsbot.pipelines import DISK_FULL, close_because_busy
from newsbot.pipelines import signals as newsbot_signals
from newsbot.search.commit_worker import CommitWorker
from newsbot.search.writer import ArchiveWriter, Batch, IndexBusy, write_batch

logger = logging.getLogger(__name__)

# How often the commit timer looks at the batch and at the crawl: a small fraction of any
# sensible NEWSBOT_INDEX_COMMIT_SECONDS, and short enough that a crawl ends promptly.
_TICK_SECONDS = 0.1
# Ticks in a row on which the crawl must be waiting for the batch before it is committed early:
# one tick can fall in the instant between a response and the engine's next request.
_WAITING_TICKS = 2
_DISK_FULL_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT})


# Items waiting for the batch's commit: (url, released when committed).
_Waiting = list[tuple[str, Deferred[None]]]


class NotStored(DropItem):
    """The index could not take the item (the disk is full); the crawl is stopping."""


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
        self.index_dir = Path(index_dir)
        self.lock_timeout = lock_timeout
        self.commit_items = max(1, commit_items)
        self.commit_seconds = commit_seconds
        self.crawler = crawler
        self.disk_full = False
        self._waiting: _Waiting = []
        self._oldest: float | None = None
        self._timer: Any = None
        self._crawl_waited = 0
        self._written = 0
        self._worker: CommitWorker | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # The batch being written by the worker, its items, and the future of the write.
        self._in_flight: tuple[Batch, _Waiting, Future[int]] | None = None
        self._commit_wanted = False
        self._room = asyncio.Event()

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
        self._worker = CommitWorker(self.index_dir, self.lock_timeout)
        self._threads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsbot-commit")
        self._loop = asyncio.get_running_loop()
        self._timer = create_looping_call(self._tick)
        self._timer.start(_TICK_SECONDS, now=False)

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        # The bounded queue: one batch being written, one (of at most commit_items) filling.
        while self._in_flight is not None and self.writer.pending >= self.commit_items:
            await self._room.wait()
        if self.disk_full:
            raise self._not_stored(adapter["url"])
        data = adapter.asdict()
        outcome = self.writer.put(data)
        # The writer merged in the alternates already stored; the feed should list them too.
        adapter["alternates"] = data["alternates"]
        self._inc_stat(f"newsbot/index/{outcome}")
        if self._oldest is None:
            self._oldest = time.monotonic()
        committed: Deferred[None] = Deferred()
        self._waiting.append((adapter["url"], committed))
        if self.writer.pending >= self.commit_items:
            self._start_commit(merge=not self._crawl_has_ended())
        await maybe_deferred_to_future(committed)
        return item

    def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        if not self.writer.is_open:  # open_spider failed: another crawl owns the index
            return
        try:
            committed = not self.disk_full and self.commit()
            self.writer.record_crawl(
                finished_at=utc_now_iso(),
                status="finished" if committed else DISK_FULL if self.disk_full else "failed",
                documents_written=self._written,
            )
        except OSError as error:
            if not self.disk_full:
                raise
            # Already said: the crawl state file stays "running", which the next crawl reports.
            logger.debug("Could not record the end of the crawl: %s", error)
        finally:
            self.writer.close()
            if self._worker is not None:
                self._worker.close()
            if self._threads is not None:
                self._threads.shutdown()

    def commit(self) -> bool:
        """Commit everything now, blocking: the batch in flight, then what is pending; release
        their items. False if a commit failed (see `_finish`)."""
        ok = True
        if self._in_flight is not None:
            ok = self._finish(*self._take_in_flight())
        waiting, self._waiting, self._oldest = self._waiting, [], None
        self._crawl_waited = 0
        batch = self.writer.seal(merge=False)  # the crawl is ending and waits for it
        if batch is None:
            self._release(waiting)
            return ok
        future: Future[int] = Future()
        try:
            future.set_result(self._write(batch))
        except Exception as error:
            future.set_exception(error)
        return self._finish(batch, waiting, future) and ok

    def _write(self, batch: Batch) -> int:
        if self._worker is None:  # not opened by a crawl (tests of the pipeline alone)
            return write_batch(self.writer.index, batch, self.lock_timeout)
        return self._worker.write(batch)

    def _start_commit(self, merge: bool = True) -> None:
        """Hand the pending batch to the commit worker and go on crawling; its items are
        released when it is committed. One batch at a time: a second waits its turn."""
        if self.disk_full:
            return
        if self._in_flight is not None:
            self._commit_wanted = True
            return
        waiting, self._waiting, self._oldest = self._waiting, [], None
        self._crawl_waited = 0
        batch = self.writer.seal(merge=merge)
        if batch is None:
            self._release(waiting)
            return
        assert self._threads is not None and self._loop is not None
        future = self._threads.submit(self._write, batch)
        self._in_flight = (batch, waiting, future)
        loop = self._loop
        future.add_done_callback(lambda done: loop.call_soon_threadsafe(self._written_in, done))

    def _written_in(self, future: Future[int]) -> None:
        if self._in_flight is None or self._in_flight[2] is not future:
            return  # close_spider waited for it and handled it already
        self._finish(*self._take_in_flight())
        if self._commit_wanted or self.writer.pending >= self.commit_items:
            self._commit_wanted = False
            self._start_commit()
        self._room.set()  # items waiting for room in the batch try again
        self._room = asyncio.Event()

    def _take_in_flight(self) -> tuple[Batch, _Waiting, Future[int]]:
        assert self._in_flight is not None
        in_flight, self._in_flight = self._in_flight, None
        in_flight[2].exception()  # wait for it
        return in_flight

    def _finish(self, batch: Batch, waiting: _Waiting, future: Future[int]) -> bool:
        """Release the items of a written batch to the rest of Scrapy (feed, stats).

        If the commit failed, each waiting item fails with the error (Scrapy logs it and counts
        it in item_error stats), the batch goes back to pending for the next commit, and False
        is returned. A full disk instead drops them as `NotStored` and stops the crawl.
        """
        error = future.exception()
        if error is None:
            done = self.writer.confirm(batch)
            self._written += len(done.written)
            self._inc_stat("newsbot/index/commits")
            if self.crawler is not None:
                self.crawler.signals.send_catch_log(newsbot_signals.index_committed, commit=done)
            self._release(waiting)
            return True
        self.writer.restore(batch)
        if isinstance(error, OSError) and error.errno in _DISK_FULL_ERRORS:
            self._stop_for_full_disk(waiting, error)
        else:
            logger.error("Index commit failed, %d items not stored: %s", len(waiting), error)
            for _, deferred in waiting:
                deferred.errback(error)
        return False

    @staticmethod
    def _release(waiting: _Waiting) -> None:
        for _, deferred in waiting:
            deferred.callback(None)

    def _stop_for_full_disk(self, waiting: _Waiting, error: OSError) -> None:
        self.disk_full = True
        # The next batch's items too: nothing more will be committed.
        waiting = waiting + self._waiting
        self._waiting, self._oldest = [], None
        logger.error(
            "Disk full: could not commit %d articles to %s (%s). Stopping the crawl; the index "
            "keeps the %d articles committed before. Free some space and crawl again.",
            len(waiting),
            self.index_dir,
            error.strerror or error,
            self.writer.document_count(),
        )
        self._inc_stat("newsbot/index/disk_full")
        for url, deferred in waiting:
            deferred.errback(self._not_stored(url))
        if self.crawler is not None and self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=DISK_FULL))

    def _not_stored(self, url: str) -> NotStored:
        # DEBUG: the ERROR line above says it once; one line per item would bury it.
        return NotStored(f"{url} not stored: the disk is full", log_level="DEBUG")

    def _tick(self) -> None:
        if self._oldest is None or self.disk_full:
            return
        if time.monotonic() - self._oldest >= self.commit_seconds:
            self._start_commit()
            return
        self._crawl_waited = self._crawl_waited + 1 if self._crawl_waits_for_batch() else 0
        if self._crawl_waited >= _WAITING_TICKS:
            self._start_commit(merge=not self._crawl_has_ended())

    def _crawl_waits_for_batch(self) -> bool:
        """True when nothing is being downloaded and every item in Scrapy's pipelines is one
        of ours: the crawl cannot move until this batch commits. That is the case after the
        last page, and when waiting responses fill the scraper (SCRAPER_SLOT_MAX_ACTIVE_SIZE),
        which stops the downloader."""
        engine = self._engine()
        if engine is None or engine.scraper.slot is None:
            return False
        scraper = engine.scraper.slot
        in_flight = len(self._in_flight[1]) if self._in_flight is not None else 0
        return (
            not engine.downloader.active
            and not scraper.queue
            and scraper.itemproc_size <= len(self._waiting) + in_flight
        )

    def _crawl_has_ended(self) -> bool:
        """Nothing is downloading or scheduled: this batch is most likely the crawl's last, and
        the crawl ends when it is committed. A tiered merge falls due on the commit that completes
        a tier (the 10th of 1,000 documents is the 10,000th), and made the end of such a crawl
        wait 6.5 s for it. If the crawl goes on after all, the next merging commit catches up
        (a tier may hold more than MERGE_FANOUT segments)."""
        engine = self._engine()
        scheduler = engine.scheduler if engine is not None else None
        return (
            scheduler is not None
            and not engine.downloader.active
            and not scheduler.has_pending_requests()
        )

    def _engine(self) -> Any:
        """The crawl's engine, or None when the pipeline runs outside a started crawl."""
        if self.crawler is None:
            return None
        try:
            return self.crawler.engine
        except RuntimeError:  # Scrapy sets it when the crawl starts
            return None

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
