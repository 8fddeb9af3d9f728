"""The section spider: discover a section's articles from its front, RSS feed and news sitemap,
then fetch each article once and hand it to `parse_article`.

    scrapy crawl section -a path=world/europe [-a rss=Europe] [-a refetch=all]
    scrapy crawl americas                      # a named section from newsbot/sites.py
    scrapy crawl americas -a since=2019-01-01 [-a until=2019-12-31]   # and a backfill

The spider only navigates: link extraction lives in `newsbot.parsers.front`/`feeds`, article
fields in `newsbot.parsers.article`. It works with the site's own URLs; `NEWSBOT_SITE` mirroring is
the downloader middleware's business. What can be large (the news sitemap's articles, a backfill's
period sitemaps) waits in `newsbot.spiders.backfill.Backlog` and is fed to Scrapy lazily, after
the front and the feed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from newsbot.dates import NEW_YORK, utc_now_iso
from newsbot.extensions import (
    DISCOVERED_META,
    FETCHED_STAT,
    FOUND_STAT,
    NETWORK_ERRORS,
    PARSED_STAT,
    article_lost,
    failure_reason,
    front_seen,
)
from newsbot.home import is_off
from newsbot.logcap import NoNetworkTracebacks, RepeatCap
from newsbot.middlewares import DISCOVERY_META
from newsbot.parsers import NotAnArticle, ParseError, parse_article
from newsbot.parsers.feeds import DEFAULT_MAX_UNPACKED, FeedError, gunzip, parse_rss
from newsbot.parsers.front import parse_front
from newsbot.parsers.sitemaps import iter_sitemap
from newsbot.pipelines.signals import index_committed
from newsbot.sites import NEWS_SITEMAP_URL, SITEMAP_INDEX_URL, front_url, guess_rss_name, rss_url
from newsbot.spiders.backfill import (
    DEFAULT_BATCH,
    DEFAULT_PROGRESS_SECONDS,
    Backlog,
    parse_range,
)
from newsbot.state.crawlstate import CrawlState, newest
from newsbot.urls import canonical_article_url, in_section, request_url

logger = logging.getLogger(__name__)

# Request meta keys (plain strings, so JOBDIR can pickle the queue).
SOURCE_META = "newsbot_source"  # front, rss or sitemap: which source asked for the article
CHANGED_META = "newsbot_changed"  # the date that source gives for the article (ISO 8601) or None
# DISCOVERED_META (newsbot.extensions): the URL as discovered (tracking stripped)

STAT = "newsbot/discovery"


def _truthy(value: object) -> bool:
    return str(value).strip().lower() not in {"0", "false", "no", "off", ""}


class SectionSpider(scrapy.Spider):
    """Crawl one section: `-a path=world/europe`; optional `-a rss=Europe`, `-a refetch=all`."""

    name = "section"
    allowed_domains: ClassVar[list[str]] = ["nytimes.com"]  # www., rss., every site host
    # Named sections (newsbot.spiders.sections) set these; the plain spider takes `-a path=`.
    section_path: str | None = None
    rss_name: str | None = None

    def __init__(
        self,
        path: str | None = None,
        rss: str | None = None,
        refetch: str | None = None,
        *,
        discover_front: bool = True,
        discover_rss: bool = True,
        discover_sitemap: bool = True,
        state_path: str | None = None,
        sitemap_max_bytes: int = DEFAULT_MAX_UNPACKED,
        since: str | None = None,
        until: str | None = None,
        backfill_batch: int = DEFAULT_BATCH,
        backfill_progress_seconds: float = DEFAULT_PROGRESS_SECONDS,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        section_path = (path or self.section_path or "").strip("/")
        if not section_path:
            raise ValueError("which section? use -a path=world/europe or a named section spider")
        self.section_path = section_path
        if rss is not None:
            self.rss_name = rss or None  # -a rss= (empty) means the section has no feed
        elif self.rss_name is None:
            self.rss_name = guess_rss_name(section_path)
        if refetch not in (None, "", "all", "none"):
            raise ValueError(f"-a refetch takes 'all', got {refetch!r}")
        self.refetch_all = refetch == "all"
        # `-a discover_rss=0` arrives as a string; settings arrive as bools.
        self.discover_front = _truthy(discover_front)
        self.discover_rss = _truthy(discover_rss) and bool(self.rss_name)
        self.discover_sitemap = _truthy(discover_sitemap)
        self.sitemap_max_bytes = int(sitemap_max_bytes)
        # -a since= / until=: a backfill through the sitemap index (None: today's crawl only).
        self.backfill_range = parse_range(since, until, datetime.now(NEW_YORK).date())
        self.backfill_progress_seconds = float(backfill_progress_seconds)
        awaiting = {"front"} if self.discover_front else set()
        if self.discover_rss:
            awaiting.add("rss")
        self.backlog = Backlog(
            self, self.backfill_range, batch=int(backfill_batch), awaiting=awaiting
        )
        # Not `self.state`: Scrapy's SpiderState extension owns that name under JOBDIR.
        self.crawl_state = CrawlState(state_path) if state_path else None
        # canonical URL -> newest source date seen this crawl; canonical URLs requested so far.
        self._changed: dict[str, str | None] = {}
        self._requested: set[str] = set()
        self._skipped: set[str] = set()  # not requested: stored, and no source says it changed

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SectionSpider:
        settings = crawler.settings
        kwargs.setdefault("discover_front", settings.getbool("NEWSBOT_DISCOVER_FRONT", True))
        kwargs.setdefault("discover_rss", settings.getbool("NEWSBOT_DISCOVER_RSS", True))
        kwargs.setdefault("discover_sitemap", settings.getbool("NEWSBOT_DISCOVER_SITEMAP", True))
        kwargs.setdefault("state_path", state_path_from(settings))
        kwargs.setdefault(
            "sitemap_max_bytes", settings.getint("NEWSBOT_SITEMAP_MAX_BYTES", DEFAULT_MAX_UNPACKED)
        )
        kwargs.setdefault(
            "backfill_batch", settings.getint("NEWSBOT_BACKFILL_BATCH", DEFAULT_BATCH)
        )
        kwargs.setdefault(
            "backfill_progress_seconds",
            settings.getfloat("NEWSBOT_BACKFILL_PROGRESS_SECONDS", DEFAULT_PROGRESS_SECONDS),
        )
        spider = super().from_crawler(crawler, *args, **kwargs)
        queue = settings.get(
            "SCHEDULER_DISK_QUEUE" if settings.get("JOBDIR") else "SCHEDULER_MEMORY_QUEUE"
        )
        spider.backlog.lifo = "lifo" in str(queue).lower()
        crawler.signals.connect(spider.item_stored, signal=signals.item_scraped)
        crawler.signals.connect(spider.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider.spider_idle_handler, signal=signals.spider_idle)
        crawler.signals.connect(spider.backlog.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider.response_received, signal=signals.response_received)
        crawler.signals.connect(spider.spider_closed_handler, signal=signals.spider_closed)
        # Thousands of failing backlog URLs must not bury the log: the first few of each kind
        # are logged, the rest counted and summarised at close.
        spider.log_cap = RepeatCap.install(settings.getint("NEWSBOT_LOG_REPEAT_LIMIT", 20))
        NoNetworkTracebacks.install(NETWORK_ERRORS)
        if spider.crawl_state is not None:  # durable in step with the index (crawlstate.py)
            crawler.signals.connect(spider.crawl_state.commit, signal=index_committed)
        return spider

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        add_default_feed(settings)

    # -- start ----------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.discovery_requests():
            yield request

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        sources = []
        # Discovery pages go first: they decide what else to fetch.
        if self.discover_front:
            sources.append((front_url(self.section_path), self.parse_front))
        if self.discover_rss and self.rss_name:
            sources.append((rss_url(self.rss_name), self.parse_rss))
        if self.discover_sitemap:
            sources.append((NEWS_SITEMAP_URL, self.parse_sitemap))
        if not sources:
            logger.error("Every discovery source is switched off: nothing to crawl")
        for url, callback in sources:
            meta: dict[str, Any] = {DISCOVERY_META: True}
            if url == NEWS_SITEMAP_URL:
                meta["download_maxsize"] = self.sitemap_max_bytes
            yield scrapy.Request(url, callback, errback=self.source_failed, priority=10, meta=meta)
        if self.backfill_range is not None:
            logger.info("Backfill of %s from the sitemap index", self.backfill_range)
            yield self.backlog.index_request(SITEMAP_INDEX_URL)

    # -- discovery callbacks --------------------------------------------------------------------

    def parse_front(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            self._source_unreadable(response, "front", "not a text page")
            return
        entries = parse_front(response.body, response.url)
        self.crawler.stats.set_value(f"{STAT}/front/found", len(entries))
        logger.info("Front %s shows %d articles", response.url, len(entries))
        self.crawler.signals.send_catch_log(
            signal=front_seen, spider=self, front_url=response.url, entries=entries
        )
        for entry in entries:
            yield from self._article_request(entry.url, "front", None)
        yield from self.backlog.source_done("front")

    def parse_rss(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            entries = parse_rss(response.body, response.url)
        except FeedError as exc:
            self._source_unreadable(response, "rss", str(exc))
            return
        self.crawler.stats.set_value(f"{STAT}/rss/found", len(entries))
        logger.info("Feed %s lists %d articles", response.url, len(entries))
        for entry in entries:
            yield from self._article_request(entry.url, "rss", entry.published)
        yield from self.backlog.source_done("rss")

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        # A .gz served as application/gzip arrives packed (HttpCompression only undoes
        # Content-Encoding); `gunzip` passes an already unpacked body through.
        listed = 0
        mine: list[tuple[str, str | None]] = []
        try:
            body = gunzip(response.body, self.sitemap_max_bytes)
            # Streamed into (URL, date) pairs: a 100k-URL sitemap never becomes a 100k-node tree.
            for entry in iter_sitemap(body, response.url):
                listed += 1
                if in_section(entry.url, self.section_path):
                    mine.append((entry.url, entry.lastmod or entry.published))
        except FeedError as exc:
            self._source_unreadable(response, "sitemap", str(exc))
            if not listed:
                return
        stats = self.crawler.stats
        stats.set_value(f"{STAT}/sitemap/listed", listed)
        stats.set_value(f"{STAT}/sitemap/found", len(mine))
        logger.info(
            "Sitemap %s lists %d articles, %d in %s",
            response.url,
            listed,
            len(mine),
            self.section_path,
        )
        # Released after the front and the feed, `NEWSBOT_BACKFILL_BATCH` at a time.
        yield from self.backlog.add_news(mine)

    def _source_unreadable(self, response: Response, source: str, why: str) -> None:
        logger.warning("Cannot read the %s %s: %s", source, response.url, why)
        self.crawler.stats.inc_value(f"{STAT}/{source}/unreadable")

    def source_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        # The front is the one source every section has; a missing feed (a guessed RSS name) or
        # sitemap only narrows discovery.
        is_front = request.callback == self.parse_front
        reason, _ = failure_reason(failure)
        logger.log(
            logging.ERROR if is_front else logging.WARNING,
            "Discovery page %s failed: %s",
            request.url,
            failure.getErrorMessage(),
        )
        self.crawler.stats.inc_value(f"{STAT}/source_failed")
        # By reason, so a crawl that reached nothing can say why (extensions.ZeroArticleAlarm).
        self.crawler.stats.inc_value(f"{STAT}/failed/{reason}")

    # -- deciding what to fetch -----------------------------------------------------------------

    def _article_request(
        self,
        url: str,
        source: str,
        changed: str | None,
        *,
        priority: int = 0,
        callback: Any = None,
        errback: Any = None,
        dont_filter: bool = False,
    ) -> Iterable[scrapy.Request]:
        """A request for the article unless it was requested this crawl already, or an earlier
        crawl stored it and `source` says nothing newer about it."""
        url = request_url(url)
        canonical = canonical_article_url(url)
        stats = self.crawler.stats
        if canonical not in self._changed:
            stats.inc_value(FOUND_STAT)
        self._changed[canonical] = newest(self._changed.get(canonical), changed)
        if canonical in self._requested:
            stats.inc_value(f"{STAT}/duplicate")
            return
        if (
            not self.refetch_all
            and self.crawl_state is not None
            and not self.crawl_state.needs_fetch([canonical, url], changed)
        ):
            if canonical not in self._skipped:  # front, feed and sitemap may all list it
                self._skipped.add(canonical)
                stats.inc_value(f"{STAT}/unchanged_skipped")
            return
        self._requested.add(canonical)
        stats.inc_value(f"{STAT}/requested")
        stats.inc_value(f"{STAT}/requested/{source}")
        yield scrapy.Request(
            url,
            callback=callback or self.parse_article,
            errback=errback or self.article_failed,
            priority=priority,
            dont_filter=dont_filter,
            meta={SOURCE_META: source, CHANGED_META: changed, DISCOVERED_META: url},
        )

    # -- the backlog (news sitemap, backfill): see newsbot.spiders.backfill ---------------------

    def backlog_request(
        self, url: str, source: str, changed: str | None, priority: int
    ) -> Iterable[scrapy.Request]:
        # The news sitemap keeps its stat name ("sitemap") and the dupefilter, as before.
        if source == "news":
            yield from self._article_request(url, "sitemap", changed, priority=priority)
            return
        # A resumed backfill re-reads its sitemaps; the crawl state, not requests.seen, decides
        # what is left (a SIGKILLed JOBDIR can hold fingerprints of requests it lost).
        yield from self._article_request(
            url,
            source,
            changed,
            priority=priority,
            callback=self.parse_backfill_article,
            errback=self.backfill_article_failed,
            dont_filter=True,
        )

    def parse_backfill_article(self, response: Response) -> Iterator[Any]:
        self.backlog.article_answered(response)
        items = list(self.parse_article(response))
        if not items:
            self.backlog.article_not_parsed(response, "not_parsed")
        yield from items

    def backfill_article_failed(self, failure: Failure) -> None:
        # article_failed gives the request's place in the window back, and refills it.
        self.article_failed(failure)
        self.backlog.article_failed(failure)

    def parse_sitemap_index(self, response: Response) -> Iterator[scrapy.Request]:
        yield from self.backlog.read_index(response)

    def sitemap_index_failed(self, failure: Failure) -> None:
        # Without the index there is no backfill; today's crawl still runs.
        logger.error(
            "Cannot backfill: the sitemap index %s failed: %s",
            failure.request.url,  # type: ignore[attr-defined]
            failure.getErrorMessage(),
        )
        self.crawler.stats.inc_value("newsbot/backfill/index_failed")

    def parse_period_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        yield from self.backlog.read_period(response)

    def period_sitemap_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        yield from self.backlog.period_failed(failure)

    # -- articles -------------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[scrapy.Item]:
        stats = self.crawler.stats
        stats.inc_value(FETCHED_STAT)
        if not isinstance(response, TextResponse):
            self._lost(response.request, "not_an_article", "is not a text page")
            return
        try:
            item = parse_article(response.text, response.url)
        except NotAnArticle as exc:
            self._lost(response.request, "not_an_article", f"is not an article ({exc})")
            return
        except ParseError as exc:
            self._lost(response.request, "parse_error", f"cannot be parsed ({exc})")
            return
        # The logical site URL fetched (never the mirror's), so mirror and live items match.
        item["source_url"] = response.url
        item["crawled_at"] = utc_now_iso()
        stats.inc_value(PARSED_STAT)
        yield item

    def article_failed(self, failure: Failure) -> None:
        reason, detail = failure_reason(failure)
        self._lost(failure.request, reason, detail)  # type: ignore[attr-defined]
        self._release_backlog(failure.request)  # type: ignore[attr-defined]

    def response_received(
        self, response: Response, request: scrapy.Request, spider: scrapy.Spider
    ) -> None:
        # Also for a response the HTTP cache answers, which never reaches the downloader.
        if spider is self:
            self._release_backlog(request)

    def _release_backlog(self, request: scrapy.Request) -> None:
        for queued in self.backlog.answered(request):
            self.crawler.engine.crawl(queued)

    def _lost(self, request: scrapy.Request | None, reason: str, detail: str) -> None:
        """Tell the loss report (newsbot.extensions.LossReport), which counts and logs it."""
        if request is None:
            return
        discovered = request.meta.get(DISCOVERED_META) or request.url
        where = (
            request.url if request.url == discovered else f"{request.url} (found as {discovered})"
        )
        self.crawler.signals.send_catch_log(
            article_lost, url=discovered, reason=reason, detail=f"{where} {detail}"
        )

    # -- incremental state ----------------------------------------------------------------------

    def item_stored(self, item: Any, response: Response, spider: scrapy.Spider) -> None:
        """The item passed every pipeline: remember it so the next crawl can skip it."""
        if spider is not self or response is None:
            return
        self.backlog.item_stored(response)
        if self.crawl_state is None:
            return
        canonical = item.get("url") or canonical_article_url(response.url)
        request = response.request
        meta = request.meta if request is not None else {}
        discovered = meta.get(DISCOVERED_META) or response.url
        urls = [response.url, discovered, *meta.get("redirect_urls", [])]
        fetched = [u for u in urls if u]
        # The newest date any source gave this crawl, not only the one that triggered the fetch.
        changed = newest(
            self._changed.get(canonical_article_url(discovered)), meta.get(CHANGED_META)
        )
        modified = item.get("modified") or item.get("published")
        self.crawl_state.record(fetched, canonical, modified, changed)

    def item_dropped(
        self, item: Any, response: Response, exception: BaseException, spider: scrapy.Spider
    ) -> None:
        if spider is self:
            self.backlog.item_dropped(response, exception)

    def spider_idle_handler(self, spider: scrapy.Spider) -> None:
        if spider is not self:
            return
        requests = self.backlog.idle()
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def spider_closed_handler(self, spider: scrapy.Spider, reason: str) -> None:
        if spider is not self:
            return
        self.backlog.close()
        self.log_cap.summarise()
        if self.crawl_state is not None:
            self.crawl_state.close()


def state_path_from(settings: BaseSettings) -> str | None:
    """`NEWSBOT_STATE_PATH`, else `<NEWSBOT_INDEX_DIR>/crawlstate.sqlite`; "off" disables it."""
    path = settings.get("NEWSBOT_STATE_PATH") or ""
    if path and is_off(path):
        return None
    if not path:
        index_dir = settings.get("NEWSBOT_INDEX_DIR")
        if not index_dir:
            return None
        path = str(Path(index_dir) / "crawlstate.sqlite")
    return path


def add_default_feed(settings: BaseSettings) -> None:
    """Give a plain `scrapy crawl` (no -o/-O, no FEEDS) a JSON Lines feed in NEWSBOT_FEED_DIR.

    `-o/-O` set FEEDS at "cmdline" priority before spiders' `update_settings` runs, so a non-empty
    FEEDS here means the user chose an output and no default is added beside it.
    """
    if settings.getdict("FEEDS"):
        return
    feed_dir = settings.get("NEWSBOT_FEED_DIR") or ""
    if not feed_dir or is_off(feed_dir):
        return
    uri = str(Path(feed_dir) / "%(name)s-%(time)s.jsonl")
    settings.set("FEEDS", {uri: {"format": "jsonlines", "encoding": "utf-8"}}, priority="spider")
