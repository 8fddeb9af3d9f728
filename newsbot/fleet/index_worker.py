"""The fleet's one index writer: a Scrapy crawl whose source is the Redis item queue.

`IndexWorkerSpider.start()` takes items from the queue (Lua `TAKE` moves each to an in-flight
list) and yields them, so Scrapy runs the project's pipelines on them exactly as in a single
crawl: clean, validate, dedupe/revisions, index. The index pipeline releases an item only once
its batch is committed, so `item_scraped` means committed: then the feed exporter writes it, the
crawl state (SQLite beside the index, and Redis for the workers) records it, and the item is
acknowledged, i.e. removed from the in-flight list. A dropped item is acknowledged too (Scrapy
counts it by reason).

After a SIGKILL the in-flight list holds what was taken and not committed; the next index worker
puts it back at the head of the queue before taking anything. An item committed just before the
kill comes again and is stored as unchanged, so the index holds every article once.
One writer at a time: a lock in Redis with a TTL the writer keeps renewing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any, ClassVar, Self

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task

from newsbot.fleet import connection
from newsbot.fleet.connection import FleetError
from newsbot.items import ArticleItem
from newsbot.pipelines import signals as newsbot_signals
from newsbot.spiders.section import add_default_feed, state_path_from
from newsbot.state import CrawlStateBackend, RedisCrawlState, SqliteCrawlState

logger = logging.getLogger(__name__)

STAT = "newsbot/fleet/index_worker"
POLL_SECONDS = 0.2


class IndexWorkerSpider(scrapy.Spider):
    name = "index-worker"
    fleet_role: ClassVar[str] = "index"
    # It reads no section: the workers' fleet-wide alarm and front snapshots cover discovery.
    custom_settings: ClassVar[dict[str, Any]] = {
        "NEWSBOT_ZERO_ALARM": False,
        "NEWSBOT_FRONTS_ENABLED": False,
    }

    def __init__(
        self,
        exit_when_done: bool = False,
        max_in_flight: int = 500,
        lock_seconds: float = 30,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.exit_when_done = bool(exit_when_done)
        # The writer lock lives this long unless renewed: a killed writer's successor waits so.
        self.lock_seconds = max(1, round(float(lock_seconds)))
        self.max_in_flight = max(1, int(max_in_flight))
        self.writer_id = connection.worker_id()
        # id(item) -> (item, raw entry, envelope): the item objects stay alive, so ids stay unique.
        self.in_flight: dict[int, tuple[Any, bytes, dict[str, Any]]] = {}
        self.states: list[CrawlStateBackend] = []
        self.failed = 0
        self.fatal: str | None = None  # why the worker stopped early, for the command's message

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        settings = crawler.settings
        kwargs.setdefault("max_in_flight", 2 * settings.getint("NEWSBOT_INDEX_COMMIT_ITEMS", 100))
        kwargs.setdefault("lock_seconds", settings.getfloat("NEWSBOT_FLEET_LEASE_SECONDS", 30))
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.server = connection.connect(connection.redis_url_from(crawler.settings))
        spider._take = spider.server.register_script(connection.TAKE)
        spider._requeue = spider.server.register_script(connection.REQUEUE_ITEMS)
        crawler.signals.connect(spider.item_committed, signal=signals.item_scraped)
        crawler.signals.connect(spider.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider.item_failed, signal=signals.item_error)
        crawler.signals.connect(spider.closed_handler, signal=signals.spider_closed)
        # As in a single crawl: the SQLite state's rows become durable with each index commit.
        crawler.signals.connect(spider.commit_states, signal=newsbot_signals.index_committed)
        return spider

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        add_default_feed(settings)

    # -- the writer lock ------------------------------------------------------------------------

    async def _acquire_lock(self) -> None:
        for _ in range(int(self.lock_seconds / POLL_SECONDS) * 2):
            lock = connection.INDEX_WRITER
            if self.server.set(lock, self.writer_id, nx=True, ex=self.lock_seconds):
                return
            await _sleep(POLL_SECONDS)
        holder = (self.server.get(connection.INDEX_WRITER) or b"?").decode()
        raise FleetError(f"another index worker ({holder}) is writing this fleet's index")

    def _renew_lock(self) -> None:
        holder = self.server.get(connection.INDEX_WRITER)
        if holder is not None and holder.decode() != self.writer_id:
            raise FleetError("lost the index writer lock to another index worker")
        self.server.set(connection.INDEX_WRITER, self.writer_id, ex=self.lock_seconds)

    # -- the source -----------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        try:
            async for item in self._items():
                yield item
        except FleetError as error:
            self.fatal = str(error)
            logger.error("Index worker stopped: %s", error)

    async def _items(self) -> AsyncIterator[Any]:
        await self._acquire_lock()
        back = self._requeue(keys=[connection.ITEMS, connection.ITEMS_IN_FLIGHT])
        if back:
            logger.warning("Requeued %d items a stopped index worker had not committed", back)
            self.crawler.stats.inc_value(f"{STAT}/requeued", back)
        self._open_states()
        while True:
            self._renew_lock()
            room = self.max_in_flight - len(self.in_flight)
            taken = (
                self._take(keys=[connection.ITEMS, connection.ITEMS_IN_FLIGHT], args=[room])
                if room > 0
                else []
            )
            for raw in taken:
                item = self._item(raw)
                if item is not None:
                    yield item
            if taken:
                continue
            if self.exit_when_done and self._run_done():
                return
            await _sleep(POLL_SECONDS)

    def _item(self, raw: bytes) -> Any:
        try:
            entry = json.loads(raw)
            item = ArticleItem(entry["item"])
        except (ValueError, KeyError, TypeError) as error:
            logger.error("Dropped an unreadable entry from the item queue: %s", error)
            self.crawler.stats.inc_value(f"{STAT}/unreadable")
            self._ack(raw)
            return None
        self.in_flight[id(item)] = (item, raw, entry)
        return item

    def _run_done(self) -> bool:
        """The run's workers are done and every item they handed on is taken."""
        state = self.server.hget(connection.RUN, "state")
        return state == b"done" and self.server.llen(connection.ITEMS) == 0

    # -- after the pipelines --------------------------------------------------------------------

    def item_committed(self, item: Any, response: Any, spider: scrapy.Spider) -> None:
        found = self.in_flight.pop(id(item), None)
        if found is None:
            return
        _, raw, entry = found
        record = entry.get("state")
        if record:
            for state in self.states:
                state.record(*record)
        self._ack(raw)

    def item_dropped(self, item: Any, response: Any, exception: Exception, spider: Any) -> None:
        found = self.in_flight.pop(id(item), None)
        if found is not None:
            self._ack(found[1])

    def item_failed(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        # Not acknowledged: it stays in flight, and the next index worker tries it again.
        if self.in_flight.pop(id(item), None) is not None:
            self.failed += 1
            self.crawler.stats.inc_value(f"{STAT}/failed")

    def _ack(self, raw: bytes) -> None:
        self.server.lrem(connection.ITEMS_IN_FLIGHT, 1, raw)

    def _open_states(self) -> None:
        path = state_path_from(self.crawler.settings)
        if path is None:
            return
        self.states = [SqliteCrawlState(path), RedisCrawlState(self.server)]

    def commit_states(self, **kwargs: Any) -> None:
        for state in self.states:
            state.commit()

    def closed_handler(self, spider: scrapy.Spider, reason: str) -> None:
        for state in self.states:
            state.close()
        holder = self.server.get(connection.INDEX_WRITER)
        if holder is not None and holder.decode() == self.writer_id:
            self.server.delete(connection.INDEX_WRITER)


async def _sleep(seconds: float) -> None:
    from twisted.internet import reactor  # Scrapy has installed its reactor by now

    await maybe_deferred_to_future(task.deferLater(reactor, seconds, lambda: None))
