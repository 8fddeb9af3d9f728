"""Item pipelines, one concern each: clean ▸ validate ▸ dedupe ▸ index."""

from __future__ import annotations

import logging

from scrapy.exceptions import CloseSpider

from newsbot.search.writer import IndexBusy

# The finish reason of a crawl that found its index held by another crawl; `scrapy crawl`
# (newsbot.scrapy_commands.crawl) turns it into exit status 1.
INDEX_BUSY = "index_busy"
# The finish reason of a crawl stopped because the index's disk filled up (also exit status 1).
DISK_FULL = "disk_full"


def close_because_busy(busy: IndexBusy, logger: logging.Logger) -> CloseSpider:
    """Say plainly why nothing will be crawled, and how Scrapy should end the crawl: a
    CloseSpider from open_spider closes it before any request, without a traceback."""
    logger.error("Not crawling: %s (%s)", busy, busy.hint)
    return CloseSpider(INDEX_BUSY)
