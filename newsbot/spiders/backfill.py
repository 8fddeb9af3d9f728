"""The section spider's backlog: news-sitemap articles and backfills, fed to Scrapy lazily.

A crawl's own front and feed come first. Their article requests go to the scheduler at once (a
few dozen) at the default priority. Everything that can be large waits here as plain
`(url, date)` pairs, about 200 bytes each instead of the kilobyte or more of a Request with its
meta, and reaches the scheduler `batch` requests at a time, at lower priorities:

- the news sitemap's articles (priority -10), released only once the front and the feed are
  parsed, so a 100k-URL sitemap cannot get ahead of them;
- a backfill (`-a since=2019-01-01 [-a until=2019-12-31]`, priority -20 for its articles and -15
  for its period sitemaps): the sitemap index (`newsbot.sites.SITEMAP_INDEX_URL`) is read, the
  period sitemaps that overlap the range are kept, and they are read one at a time, newest
  first, the next one only when the articles of the last are nearly all requested. Memory
  therefore holds one period's URLs, not the whole range's.

Resuming needs no saved queue. The index and the period sitemaps are read again on every run
(`dont_filter`), and an article that the crawl state (`newsbot.crawlstate`) says is stored, with
no newer `lastmod`, is counted as already stored and never requested. Under JOBDIR, the backfill
requests in the disk queue at a pause are kept in `spider.state` (Scrapy's SpiderState), so that
a resume does not request them a second time, and the news sitemap's unreleased URLs are kept
there too, because a resumed crawl does not read the news sitemap again.

Every count is a stat under `newsbot/backfill/` (see `STAT_NAMES`), so the end-of-crawl stats and
any progress display read the same numbers; `progress()` turns them into done, remaining, rate
and ETA.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.http import Response
from twisted.internet import task
from twisted.python.failure import Failure

from newsbot.extensions import FOUND_STAT, failure_reason
from newsbot.parsers.feeds import FeedError, SitemapEntry, gunzip
from newsbot.parsers.sitemaps import (
    SitemapRef,
    article_day,
    iter_sitemap,
    parse_sitemap_index,
    root_name,
)
from newsbot.urls import canonical_article_url, in_section

if TYPE_CHECKING:
    from scrapy.statscollectors import StatsCollector

    from newsbot.spiders.section import SectionSpider

logger = logging.getLogger(__name__)
# Its own logger, outside newsbot.logcap's cap: a progress line repeats by design.
progress_logger = logging.getLogger(__name__ + ".progress")

# Request priorities: a higher one is sent first. Discovery pages (front, feed, news sitemap,
# sitemap index) are 10 and front/feed articles 0, as in the section spider.
NEWS_SITEMAP_PRIORITY = -10
PERIOD_SITEMAP_PRIORITY = -15
BACKFILL_PRIORITY = -20

# Request meta: which queue an article request came from ("news" or "backfill"), and its URL
# as queued (the key of the in-flight set; redirects change the request's own URL).
BACKLOG_META = "newsbot_backlog"
BACKLOG_URL_META = "newsbot_backlog_url"
# spider.state keys (JOBDIR only).
_STATE_IN_FLIGHT = "newsbot_backfill_in_flight"
_STATE_NEWS = "newsbot_news_pending"

STAT = "newsbot/backfill"
STAT_NAMES = {
    "sitemaps_listed": "sitemaps named by the sitemap index (and any index it names)",
    "sitemaps_in_range": "of those, sitemaps whose period overlaps the range (or names none)",
    "sitemaps_read": "period sitemaps fetched and read",
    "sitemaps_failed": "period sitemaps that could not be fetched or read",
    "urls_seen": "article URLs listed in the period sitemaps read",
    "urls_in_section": "of those, URLs in the section",
    "urls_out_of_range": "section URLs whose date is outside the range",
    "already_stored": "section URLs in the range that an earlier crawl stored, unchanged since",
    "queued": "section URLs in the range to fetch",
    "requested": "article requests sent to the scheduler",
    "done": "backfill requests finished (answered or failed)",
    "skipped": "queued URLs not requested: requested already this crawl, or queued under JOBDIR",
    "fetched": "articles that answered",
    "stored": "articles that passed every pipeline",
    "failed": "articles not stored (by reason under failed/<reason>)",
}
DEFAULT_BATCH = 32
DEFAULT_PROGRESS_SECONDS = 60.0


class BackfillRangeError(ValueError):
    """`-a since` / `-a until` is not a date, or the range is empty."""


@dataclass(frozen=True)
class DateRange:
    """Days from `since` to `until`, both included, in the site's own (New York) dates."""

    since: date
    until: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.since <= day <= self.until

    def __str__(self) -> str:
        return f"{self.since.isoformat()} to {self.until.isoformat()}"


def parse_range(since: str | None, until: str | None, today: date) -> DateRange | None:
    """The backfill range of `-a since=YYYY-MM-DD [-a until=YYYY-MM-DD]` (until defaults to
    today); None when no `since` was given."""
    if not since:
        if until:
            raise BackfillRangeError("-a until needs -a since (the first day to backfill)")
        return None
    first = _day(since, "since")
    last = _day(until, "until") if until else today
    if last < first:
        raise BackfillRangeError(f"-a until ({last}) is before -a since ({first})")
    return DateRange(first, last)


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BackfillRangeError(f"-a {name} takes a day like 2019-01-01, got {text!r}") from None


@dataclass(frozen=True)
class Progress:
    """Where a backfill stands, for a progress line."""

    done: int  # articles answered or failed
    remaining: int  # queued and not done, plus an estimate for the sitemaps not read yet
    estimated: bool  # True while some period sitemaps are unread (remaining is a guess)
    rate: float  # articles per second since the first backfill request
    eta_seconds: float | None

    def line(self) -> str:
        approx = "~" if self.estimated else ""
        eta = _duration(self.eta_seconds) if self.eta_seconds is not None else "unknown"
        return (
            f"{self.done:,} done, {approx}{self.remaining:,} remaining, "
            f"{self.rate * 60:.1f} articles/min, ETA {approx}{eta}"
        )


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours / 24:.1f} days"


def progress(
    stats: dict[str, Any], sitemaps_unread: int, elapsed: float, reading: bool = False
) -> Progress:
    """Progress from a crawl's stats (`crawler.stats.get_stats()`). `sitemaps_unread` period
    sitemaps are assumed to hold as many URLs to fetch as the mean of those read so far."""

    def count(name: str) -> int:
        return int(stats.get(f"{STAT}/{name}", 0) or 0)

    done = count("done")
    queued = count("queued")
    read = count("sitemaps_read")
    unread = sitemaps_unread + (1 if reading else 0)
    estimate = round(queued / read * unread) if read else 0
    remaining = max(queued - done - count("skipped"), 0) + estimate
    rate = done / elapsed if elapsed > 0 else 0.0
    eta = remaining / rate if rate > 0 else None
    return Progress(done, remaining, unread > 0, rate, eta)


class Backlog:
    """The spider's lazily fed queues: news-sitemap URLs, then backfill URLs, newest first."""

    def __init__(
        self,
        spider: SectionSpider,
        date_range: DateRange | None,
        *,
        batch: int = DEFAULT_BATCH,
        awaiting: set[str] | None = None,
        lifo: bool = True,
    ) -> None:
        self.spider = spider
        self.lifo = lifo
        self.range = date_range
        self.batch = max(1, batch)
        # Sources whose articles must be scheduled before any backlog request (front, rss).
        self._awaiting = set(awaiting or ())
        self._sitemaps: list[SitemapRef] = []  # period sitemaps not read yet, newest first
        self._reading = 0  # period sitemap requests outstanding
        self._news: deque[tuple[str, str | None]] = deque()
        # (URL, date, period number): periods are numbered in the order they are read.
        self._backfill: deque[tuple[str, str | None, int]] = deque()
        self._periods_read = 0
        # Backlog article requests not answered yet: URL -> period number (-1: news sitemap).
        self._in_flight: dict[str, int] = {}
        self._resumed: set[str] = set()  # backfill URLs a JOBDIR resume already has queued
        self._attached = False
        self._started: float | None = None
        self._progress_loop: task.LoopingCall | None = None

    @property
    def stats(self) -> StatsCollector:
        return self.spider.crawler.stats  # type: ignore[return-value]

    def _inc(self, name: str, count: int = 1) -> None:
        self.stats.inc_value(f"{STAT}/{name}", count)

    # -- JOBDIR ---------------------------------------------------------------------------------

    def _attach_state(self) -> None:
        """Share the queues that a JOBDIR resume needs with `spider.state`, which Scrapy's
        SpiderState extension loads at spider_opened and pickles at close (JOBDIR only). Done
        on first use, because the spider's own spider_opened handler runs before SpiderState's."""
        self._attached = True
        state = getattr(self.spider, "state", None)
        if not isinstance(state, dict):
            return
        self._resumed = set(state.get(_STATE_IN_FLIGHT, ()))
        self._news.extend(state.get(_STATE_NEWS, ()))
        state[_STATE_IN_FLIGHT] = self._in_flight
        state[_STATE_NEWS] = self._news

    # -- the gate: front and feed first ---------------------------------------------------------

    def source_done(self, source: str) -> Iterator[scrapy.Request]:
        """The front or the feed has been parsed (its articles are scheduled)."""
        self._awaiting.discard(source)
        yield from self.refill()

    def idle(self) -> list[scrapy.Request]:
        """Nothing is in flight: open the gate (a failed front never reaches `source_done`) and
        hand out what is left."""
        self._awaiting.clear()
        self._in_flight.clear()
        return list(self.refill())

    # -- feeding --------------------------------------------------------------------------------

    def add_news(self, entries: list[tuple[str, str | None]]) -> Iterator[scrapy.Request]:
        """Queue the news sitemap's section articles, as (URL, lastmod or publication date)."""
        if not self._attached:
            self._attach_state()
        self._news.extend(entries)
        yield from self.refill()

    def refill(self) -> Iterator[scrapy.Request]:
        """Top the scheduler up to `batch` backlog requests, and read the next period sitemap
        when the backfill queue runs low."""
        if not self._attached:
            self._attach_state()
        if self._awaiting:
            return
        chunk = list(self._next_articles())
        # Scrapy's queues are last-in, first-out within a priority by default: hand a chunk over
        # oldest first, so that the newest of it is sent first.
        yield from reversed(chunk) if self.lifo else chunk
        if self._sitemaps and not self._reading and len(self._backfill) < self.batch:
            ref = self._sitemaps.pop(0)
            self._reading += 1
            yield scrapy.Request(
                ref.url,
                callback=self.spider.parse_period_sitemap,
                errback=self.spider.period_sitemap_failed,
                priority=PERIOD_SITEMAP_PRIORITY,
                dont_filter=True,  # read again on every run: that is how a resume resumes
            )

    def _next_articles(self) -> Iterator[scrapy.Request]:
        while len(self._in_flight) < self.batch:
            if self._news:
                url, changed = self._news.popleft()
                source, priority, period = "news", NEWS_SITEMAP_PRIORITY, -1
            elif self._backfill:
                url, changed, period = self._backfill[0]
                # Within a priority Scrapy sends the last request queued first, so an older
                # period waits until the newer one is answered, or it would overtake it.
                if any(p not in (-1, period) for p in self._in_flight.values()):
                    break
                self._backfill.popleft()
                source, priority = "backfill", BACKFILL_PRIORITY
                if url in self._resumed:  # already in the JOBDIR queue
                    self._resumed.discard(url)
                    self._inc("skipped")
                    continue
            else:
                break
            for request in self.spider.backlog_request(url, source, changed, priority):
                request.meta[BACKLOG_META] = source
                request.meta[BACKLOG_URL_META] = url
                self._in_flight[url] = period
                if source == "backfill":
                    self._inc("requested")
                    if self._started is None:
                        self._started = time.monotonic()
                yield request
            if source == "backfill" and url not in self._in_flight:
                self._inc("skipped")  # requested already this crawl (front, feed, another period)

    # -- the sitemap index and period sitemaps ---------------------------------------------------

    def index_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.spider.parse_sitemap_index,
            errback=self.spider.sitemap_index_failed,
            priority=10,
            dont_filter=True,
        )

    def _unpack(self, response: Response) -> bytes:
        return gunzip(response.body, self.spider.sitemap_max_bytes)

    def read_index(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            refs = parse_sitemap_index(self._unpack(response), response.url)
        except FeedError as exc:
            logger.error("Cannot read the sitemap index %s: %s", response.url, exc)
            self._inc("index_unreadable")
            return
        self._add_sitemaps(refs, response.url)
        yield from self.refill()

    def _add_sitemaps(self, refs: list[SitemapRef], index_url: str) -> None:
        assert self.range is not None
        wanted = [r for r in refs if r.overlaps(self.range.since, self.range.until)]
        self._inc("sitemaps_listed", len(refs))
        self._inc("sitemaps_in_range", len(wanted))
        logger.info(
            "Sitemap index %s names %d sitemaps, %d of them for %s",
            index_url,
            len(refs),
            len(wanted),
            self.range,
        )
        self._sitemaps = sorted([*self._sitemaps, *wanted], key=lambda r: r.newest_first_key)
        if self._started is None and self._progress_loop is None:
            self._start_progress()

    def read_period(self, response: Response) -> Iterator[scrapy.Request]:
        self._reading -= 1
        try:
            body = self._unpack(response)
            root = root_name(body)
            if root == "sitemapindex":  # an index may name further indexes (a year of months)
                self._add_sitemaps(parse_sitemap_index(body, response.url), response.url)
                yield from self.refill()
                return
            if root != "urlset":
                raise FeedError(f"not a sitemap (root element <{root or '?'}>)")
            seen, queued = self._queue_period(iter_sitemap(body, response.url))
        except FeedError as exc:
            self._period_failed(response.url, str(exc))
            yield from self.refill()
            return
        self._inc("sitemaps_read")
        logger.info("Period sitemap %s: %d article URLs, %d to fetch", response.url, seen, queued)
        yield from self.refill()

    def _queue_period(self, entries: Iterable[SitemapEntry]) -> tuple[int, int]:
        """Queue a period's section articles in the range that need fetching, newest first;
        (article URLs seen, URLs queued). Nothing is queued if reading fails half-way."""
        assert self.range is not None
        state = self.spider.crawl_state
        refetch = self.spider.refetch_all
        wanted: list[tuple[date, str, str]] = []
        seen = in_section_count = out_of_range = stored = 0
        for entry in entries:
            seen += 1
            if not in_section(entry.url, self.spider.section_path):
                continue
            in_section_count += 1
            day = article_day(entry)
            if day is not None and day not in self.range:
                out_of_range += 1
                continue
            changed = entry.lastmod or entry.published
            if (
                not refetch
                and state is not None
                and not state.needs_fetch([canonical_article_url(entry.url), entry.url], changed)
            ):
                stored += 1
                continue
            wanted.append((day or date.min, changed or "", entry.url))
        wanted.sort(reverse=True)  # newest first
        period = self._periods_read
        self._periods_read += 1
        self._backfill.extend((url, changed or None, period) for _, changed, url in wanted)
        self._inc("urls_seen", seen)
        self._inc("urls_in_section", in_section_count)
        self._inc("urls_out_of_range", out_of_range)
        self._inc("already_stored", stored)
        # Found, though not fetched: a backfill with nothing new is not a crawl that found nothing.
        self.stats.inc_value(FOUND_STAT, stored)
        self._inc("queued", len(wanted))
        return seen, len(wanted)

    def period_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        self._reading -= 1
        self._period_failed(failure.request.url, failure.getErrorMessage())  # type: ignore[attr-defined]
        yield from self.refill()

    def _period_failed(self, url: str, why: str) -> None:
        # One bad period costs that period only; the next run reads it again.
        logger.warning("Cannot read the period sitemap %s: %s", url, why)
        self._inc("sitemaps_failed")

    # -- backlog articles -----------------------------------------------------------------------

    def article_answered(self, response: Response) -> None:
        self._finished(response.request.meta if response.request is not None else {})
        if response.meta.get(BACKLOG_META) == "backfill":
            self._inc("fetched")

    def article_not_parsed(self, response: Response, reason: str) -> None:
        """The page answered but gave no item (not an article, unparsable)."""
        if response.meta.get(BACKLOG_META) == "backfill":
            self._inc(f"failed/{reason}")
            self._inc("failed")

    def article_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self._finished(request.meta)
        if request.meta.get(BACKLOG_META) != "backfill":
            return
        # The same reasons the crawl's loss report gives (newsbot/lost/<reason>).
        reason, _ = failure_reason(failure)
        self._inc(f"failed/{reason}")
        self._inc("failed")

    def answered(self, request: scrapy.Request) -> Iterator[scrapy.Request]:
        """A backlog request got its response, or failed: it gives its place in the window to
        the next one at once. Waiting until its item is through the pipelines would hold the window
        for a whole index commit, and the downloader would idle (docs/crawl-throughput.md)."""
        url = request.meta.get(BACKLOG_URL_META)
        if url is not None and self._in_flight.pop(url, None) is not None:
            yield from self.refill()

    def request_dropped(self, request: scrapy.Request, spider: scrapy.Spider) -> None:
        """The scheduler refused a request: the dupefilter, for a news-sitemap URL that the run
        a JOBDIR resumes had already queued. It will not be answered, so it is not in flight."""
        if spider is self.spider:
            self._in_flight.pop(request.meta.get(BACKLOG_URL_META, ""), None)

    def item_stored(self, response: Response | None) -> None:
        if response is not None and response.meta.get(BACKLOG_META) == "backfill":
            self._inc("stored")

    def item_dropped(self, response: Response | None, exception: BaseException) -> None:
        if response is not None and response.meta.get(BACKLOG_META) == "backfill":
            self._inc(f"failed/dropped_{type(exception).__name__}")
            self._inc("failed")

    def _finished(self, meta: dict[str, Any]) -> None:
        # Its place in the window was given back already (`answered`).
        if meta.get(BACKLOG_META) == "backfill":
            self._inc("done")

    # -- progress and the summary ---------------------------------------------------------------

    def progress(self) -> Progress:
        elapsed = time.monotonic() - self._started if self._started is not None else 0.0
        return progress(self.stats.get_stats(), len(self._sitemaps), elapsed, self._reading > 0)

    def _start_progress(self) -> None:
        interval = self.spider.backfill_progress_seconds
        if interval <= 0:
            return
        self._progress_loop = task.LoopingCall(self._log_progress)
        self._progress_loop.start(interval, now=False)

    def _log_progress(self) -> None:
        current = self.progress()
        self.stats.set_value(f"{STAT}/remaining", current.remaining)
        progress_logger.info("Backfill %s: %s", self.range, current.line())

    def close(self) -> None:
        if self._progress_loop is not None and self._progress_loop.running:
            self._progress_loop.stop()
        if self.range is None:
            return
        stats = self.stats.get_stats()

        def count(name: str) -> int:
            return int(stats.get(f"{STAT}/{name}", 0) or 0)

        reasons = sorted(
            (
                (k.rsplit("/", 1)[-1], v)
                for k, v in stats.items()
                if k.startswith(f"{STAT}/failed/")
            ),
            key=lambda kv: (-kv[1], kv[0]),
        )
        left = len(self._backfill) + len(self._in_flight)
        logger.log(
            logging.WARNING if reasons or count("sitemaps_failed") else logging.INFO,
            "Backfill %s: %d of %d period sitemaps read (%d failed, %d not reached); "
            "%d article URLs seen, %d in the section, %d outside the range, %d already stored, "
            "%d to fetch; %d fetched, %d stored, %d failed%s%s",
            self.range,
            count("sitemaps_read"),
            count("sitemaps_in_range"),
            count("sitemaps_failed"),
            len(self._sitemaps),
            count("urls_seen"),
            count("urls_in_section"),
            count("urls_out_of_range"),
            count("already_stored"),
            count("queued"),
            count("fetched"),
            count("stored"),
            count("failed"),
            f" ({', '.join(f'{r} {n}' for r, n in reasons)})" if reasons else "",
            f"; {left} queued articles not fetched, which the next run fetches" if left else "",
        )
