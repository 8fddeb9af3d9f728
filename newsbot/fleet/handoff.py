"""A fleet worker's side of the hand-off: what a leased request produced goes to Redis in one
step with the end of its lease.

- `FleetHandoff` (spider middleware, outermost): collects everything a callback (or an errback
  after an HTTP error) yields; new requests go to the shared frontier and items to the index
  writer's queue, together with the lease's release (`FleetScheduler.push`). Items are not
  processed here: the index writer runs the pipelines, as a single crawl does.
- `FleetLeaseRelease` (downloader middleware, outermost): a request that ends in a download error
  (retries exhausted, robots.txt, offsite) never reaches a callback; its lease ends here.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from newsbot.fleet import connection
from newsbot.fleet.scheduler import LEASE_META, fleet_scheduler
from newsbot.state import DeferredRecords, RedisCrawlState

logger = logging.getLogger(__name__)

# Setting the addon uses to tell the hand-off whether incremental state is on for this crawl.
CRAWL_STATE_SETTING = "FLEET_CRAWL_STATE"


def envelope(run_id: str, item: Any, state_record: list[Any] | None) -> str:
    """One queue entry for the index writer: the item, and the crawl-state record to write once
    it is committed. The id tells two deliveries of the same entry apart."""
    return json.dumps(
        {
            "id": uuid.uuid4().hex,
            "run": run_id,
            "item": ItemAdapter(item).asdict(),
            "state": state_record,
        },
        ensure_ascii=False,
    )


class FleetHandoff:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        if crawler.settings.getbool(CRAWL_STATE_SETTING, True):
            crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        # The spider asks `needs_fetch` and calls `record`; it does not know the state is shared.
        if hasattr(spider, "crawl_state"):
            server = connection.connect(connection.redis_url_from(self.crawler.settings))
            spider.crawl_state = DeferredRecords(RedisCrawlState(server))

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        scheduler = fleet_scheduler(self.crawler)
        spider = self.crawler.spider
        requests: list[Request] = []
        items: list[str] = []
        try:
            async for output in result:
                if isinstance(output, Request):
                    requests.append(output)
                elif output is not None:
                    record = self._record(output, response)
                    items.append(envelope(scheduler.keys.run_id, output, record))
        finally:
            # Also when the callback raised: what it yielded so far is kept, and a broken page
            # is not fetched again and again.
            lease = response.request.meta.get(LEASE_META) if response.request else None
            queued = scheduler.push(requests, lease=lease, items=items)
            for request, was_queued in zip(requests, queued, strict=True):
                if not was_queued:
                    scheduler.df.log(request, spider)
        return
        yield  # an async generator that yields nothing: the output went to Redis

    def _record(self, item: Any, response: Response) -> list[Any] | None:
        """The crawl-state record the spider makes for `item` (it would write it on
        item_scraped in a single crawl), to travel with the item."""
        spider = self.crawler.spider
        state = getattr(spider, "crawl_state", None)
        if not isinstance(state, DeferredRecords) or not hasattr(spider, "item_stored"):
            return None
        spider.item_stored(item, response, spider)
        return state.take()


class FleetLeaseRelease:
    """End the lease of a request whose download failed for good; its errback gets the error
    as in a single crawl."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception) -> None:
        lease = request.meta.get(LEASE_META)
        if lease is not None:
            fleet_scheduler(self.crawler).push([], lease=lease)
        return None
