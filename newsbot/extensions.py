"""Crawl-level extensions for discovery: front snapshots, the zero-article alarm, loss accounting.

- `FrontSnapshots` appends what each section front showed (crawl time, rank, article URL, the
  headline and summary as shown) to `<feed dir>/<spider>-fronts.jsonl`, where the feed dir is the
  directory of the crawl's file feed (`-o/-O path`, else `NEWSBOT_FEED_DIR`), unless
  `NEWSBOT_FRONTS_PATH` names a file. One JSON object per line, one line per article per crawl.
- `ZeroArticleAlarm` ends a crawl that found no article at all with reason `no_articles`, logs a
  loud ERROR summary and sets the stat `newsbot/crawl/zero_articles`.
- `LossReport` accounts for every article a crawl found: stored, unchanged (not fetched again),
  a duplicate (stored under another URL), or lost, counted by reason in `newsbot/lost/<reason>`
  with a WARNING per article up to `NEWSBOT_LOST_WARNINGS`. It logs a summary at the end, and
  ends a crawl that lost every article it found with reason `all_failed`.
"""

from __future__ import annotations

import gc
import json
import logging
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from scrapy import exceptions as scrapy_errors
from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem, IgnoreRequest, NotConfigured
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as net_errors
from twisted.web import _newclient

from newsbot.dates import utc_now_iso
from newsbot.home import is_off
from newsbot.middlewares import LostRedirect
from newsbot.pipelines import DISK_FULL, INDEX_BUSY
from newsbot.search.writer import CRAWL_STATE_FILE, read_crawl_state, write_json_atomically
from newsbot.urls import canonical_article_url

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings
    from twisted.python.failure import Failure

    from newsbot.parsers.front import FrontEntry

logger = logging.getLogger(__name__)

# Sent by the section spider with `front_url` and `entries` (list of FrontEntry) per front page.
front_seen = object()

# Sent by the section spider for an article it found and will not store; kwargs: url (as
# discovered), reason (a stat name part, e.g. http_404) and detail (a phrase that names the URL).
article_lost = object()

FOUND_STAT = "newsbot/discovery/articles_found"
UNCHANGED_STAT = "newsbot/discovery/unchanged_skipped"
FETCHED_STAT = "newsbot/articles/fetched"
PARSED_STAT = "newsbot/articles/parsed"
LOST_STAT = "newsbot/lost"
# Request meta key on every article request and its redirects: the URL as discovered (tracking
# stripped), which names the article however many redirects the request goes through.
DISCOVERED_META = "newsbot_discovered"


def feed_dir_from(settings: BaseSettings) -> Path | None:
    """Directory of the first local file feed in FEEDS, else NEWSBOT_FEED_DIR."""
    for uri in settings.getdict("FEEDS"):
        uri = str(uri)
        parts = urlsplit(uri)
        if parts.scheme == "file":
            path = Path(unquote(parts.path))
        elif parts.scheme and len(parts.scheme) > 1:  # stdout:, s3:, ftp: ... (not C:\)
            continue
        else:
            path = Path(uri)
        return path.parent
    feed_dir = settings.get("NEWSBOT_FEED_DIR")
    return Path(feed_dir) if feed_dir and not is_off(feed_dir) else None


class FrontSnapshots:
    """Append each crawl's view of the section front to a JSON Lines file."""

    def __init__(self, path_template: str, enabled: bool = True) -> None:
        if not enabled:
            raise NotConfigured("NEWSBOT_FRONTS_ENABLED is off")
        self.path_template = path_template  # may contain %(name)s
        self.crawl_time: datetime | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontSnapshots:
        settings = crawler.settings
        template = settings.get("NEWSBOT_FRONTS_PATH") or ""
        if not template:
            feed_dir = feed_dir_from(settings)
            if feed_dir is None:
                raise NotConfigured("no feed directory for front snapshots")
            template = str(feed_dir / "%(name)s-fronts.jsonl")
        ext = cls(template, settings.getbool("NEWSBOT_FRONTS_ENABLED", True))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.record, signal=front_seen)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.crawl_time = datetime.now(UTC)

    def path_for(self, spider: Spider) -> Path:
        return Path(self.path_template % {"name": spider.name})

    def record(
        self, spider: Spider, front_url: str, entries: list[FrontEntry], **kwargs: Any
    ) -> None:
        crawl_time = utc_now_iso(self.crawl_time)
        path = self.path_for(spider)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            for entry in entries:
                line = {
                    "crawled_at": crawl_time,
                    "spider": spider.name,
                    "front_url": front_url,
                    "rank": entry.rank,
                    "url": entry.canonical_url,
                    "headline": entry.headline,
                    "summary": entry.summary,
                    "block": entry.block,
                }
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        spider.crawler.stats.inc_value("newsbot/fronts/snapshot_lines", len(entries))
        logger.info("Front snapshot: %d entries appended to %s", len(entries), path)


# The finish reason of a crawl that found no article; `scrapy crawl` exits with status 1 on it.
NO_ARTICLES = "no_articles"
# ... and of one that could not reach the site at all (no DNS, refused, timed out).
SITE_UNREACHABLE = "site_unreachable"


class ZeroArticleAlarm:
    """Make a crawl that found no article impossible to miss."""

    def __init__(self, enabled: bool = True) -> None:
        if not enabled:
            raise NotConfigured("NEWSBOT_ZERO_ALARM is off")
        self.crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ZeroArticleAlarm:
        ext = cls(crawler.settings.getbool("NEWSBOT_ZERO_ALARM", True))
        ext.crawler = crawler
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def _found(self) -> int:
        """Articles discovered, or else parsed: a JOBDIR resume fetches queued articles without
        reading any discovery page again, and that is not a crawl that found nothing."""
        assert self.crawler is not None and self.crawler.stats is not None
        stats = self.crawler.stats
        return int(stats.get_value(FOUND_STAT, 0) or stats.get_value(PARSED_STAT, 0) or 0)

    def spider_idle(self, spider: Spider) -> None:
        # Idle means nothing left to do. Closing with our own reason puts it in `finish_reason`,
        # which wrappers and the stats dump show, instead of a misleading "finished".
        if self._found() > 0:
            return
        unreachable = self._unreachable()
        if unreachable:
            logger.error(
                "Cannot reach the site: every discovery page failed (%s). Check the network "
                "connection, or NEWSBOT_SITE when crawling a mirror.",
                unreachable,
            )
            raise CloseSpider(SITE_UNREACHABLE)
        raise CloseSpider(NO_ARTICLES)

    def _unreachable(self) -> str:
        """'dns 2, timeout 1' when every discovery page failed on the network, else ''."""
        assert self.crawler is not None and self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        prefix = "newsbot/discovery/failed/"
        failed = {k.removeprefix(prefix): v for k, v in stats.items() if k.startswith(prefix)}
        answered = stats.get("downloader/response_count", 0)
        if not failed or answered or not set(failed) <= NETWORK_REASONS:
            return ""
        return ", ".join(f"{reason} {count}" for reason, count in sorted(failed.items()))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler is not None and self.crawler.stats is not None
        stats = self.crawler.stats
        # Only a crawl that ran to its end and reached the site can say the site had nothing;
        # one stopped early (Ctrl-C, a busy index, no network) says nothing about the site.
        if self._found() > 0 or reason not in {"finished", NO_ARTICLES}:
            return
        stats.set_value("newsbot/crawl/zero_articles", 1)
        logger.error(
            "ZERO ARTICLES: spider %s (finish reason %s) found no article link on any source. "
            "Discovery pages: front=%s rss=%s sitemap=%s, failed=%s, robots.txt forbidden=%s, "
            "HTTP statuses=%s. Check NEWSBOT_SITE, robots.txt and whether the front's markup "
            "changed.",
            spider.name,
            reason,
            stats.get_value("newsbot/discovery/front/found"),
            stats.get_value("newsbot/discovery/rss/found"),
            stats.get_value("newsbot/discovery/sitemap/found"),
            stats.get_value("newsbot/discovery/source_failed", 0),
            stats.get_value("robotstxt/forbidden", 0),
            {
                k.rsplit("/", 1)[-1]: v
                for k, v in stats.get_stats().items()
                if k.startswith("downloader/response_status_count/")
            },
        )


# The finish reason of a crawl that found articles and stored none of them (nor had them stored
# already); `scrapy crawl` exits with status 1 on it.
ALL_FAILED = "all_failed"
# The finish reasons `scrapy crawl` and `newsbot crawl` exit 1 on.
FAILED_FINISH_REASONS = frozenset(
    {NO_ARTICLES, SITE_UNREACHABLE, ALL_FAILED, INDEX_BUSY, DISK_FULL}
)

# Network failures by what a reader needs to know: Scrapy's own exceptions and Twisted's.
_NETWORK_REASONS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    (
        (scrapy_errors.DownloadTimeoutError, net_errors.TimeoutError, net_errors.TCPTimedOutError),
        "timeout",
    ),
    ((scrapy_errors.CannotResolveHostError, net_errors.DNSLookupError), "dns"),
    (
        (scrapy_errors.DownloadConnectionRefusedError, net_errors.ConnectionRefusedError),
        "connection_refused",
    ),
    (
        (
            scrapy_errors.DownloadFailedError,
            scrapy_errors.ResponseDataLossError,
            net_errors.ConnectError,
            net_errors.ConnectionLost,
            _newclient.ResponseFailed,
            _newclient.ResponseNeverReceived,
        ),
        "connection_lost",
    ),
)
NETWORK_REASONS = frozenset(reason for _, reason in _NETWORK_REASONS)
NETWORK_ERRORS = tuple(error for errors, _ in _NETWORK_REASONS for error in errors)


def failure_reason(failure: Failure) -> tuple[str, str]:
    """Why a request failed: a reason for `newsbot/lost/<reason>`, and a phrase after its URL."""
    error = failure.value
    if isinstance(error, HttpError):
        status = error.response.status
        return f"http_{status}", f"answered HTTP {status}"
    if isinstance(error, LostRedirect):
        return error.reason, str(error)
    if isinstance(error, IgnoreRequest):
        message = str(error) or type(error).__name__
        # RobotsTxtMiddleware says "Forbidden by robots.txt"; the size limits name
        # DOWNLOAD_MAXSIZE, also when the body only outgrew it while being decompressed.
        if "robots.txt" in message:
            reason = "robots_txt"
        elif "DOWNLOAD_MAXSIZE" in message or "max size" in message:
            reason = "too_large"
        else:
            reason = "ignored"
        return reason, f"was not fetched: {message}"
    for types, reason in _NETWORK_REASONS:
        if isinstance(error, types):
            return reason, f"failed: {failure.getErrorMessage()}"
    return f"error:{type(error).__name__}", f"failed: {failure.getErrorMessage()}"


_STORED = "stored"
_DUPLICATE = "duplicate"


class LossReport:
    """Account for every article the crawl found, and say plainly which were lost and why."""

    def __init__(self, crawler: Crawler, max_warnings: int = 20) -> None:
        self.crawler = crawler
        self.max_warnings = max(0, max_warnings)
        self._requested: set[str] = set()
        # Canonical URL as discovered -> "stored", "duplicate" or the reason it was lost. The
        # first outcome stands: an article has one.
        self._outcomes: dict[str, str] = {}
        self._warned = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LossReport:
        ext = cls(crawler, crawler.settings.getint("NEWSBOT_LOST_WARNINGS", 20))
        connect = crawler.signals.connect
        connect(ext.request_scheduled, signal=signals.request_scheduled)
        connect(ext.request_dropped, signal=signals.request_dropped)
        connect(ext.item_scraped, signal=signals.item_scraped)
        connect(ext.item_dropped, signal=signals.item_dropped)
        connect(ext.item_error, signal=signals.item_error)
        connect(ext.article_lost, signal=article_lost)
        connect(ext.spider_idle, signal=signals.spider_idle)
        connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    # -- what happened to each article ----------------------------------------------------------

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        key = _article_key(request)
        if key is not None and "redirect_urls" not in request.meta:
            self._requested.add(key)

    def request_dropped(self, request: Request, spider: Spider) -> None:
        # The scheduler's duplicate filter: that URL was fetched already, for another article's
        # request that redirected there (or that this one redirected to).
        key = _article_key(request)
        if key is not None:
            self._settle(key, _DUPLICATE)

    def item_scraped(self, item: Any, response: Response | None, spider: Spider) -> None:
        key = _article_key(response.request if response is not None else None)
        if key is not None:
            self._settle(key, _STORED)

    def item_dropped(
        self, item: Any, response: Response | None, exception: BaseException, spider: Spider
    ) -> None:
        # Imported here: the pipelines import the search package, which an extension that only
        # counts should not load at start-up for every crawl command.
        from newsbot.pipelines.dedupe import DuplicateArticle, NearDuplicate

        key = _article_key(response.request if response is not None else None)
        if key is None:
            return
        if isinstance(exception, (DuplicateArticle, NearDuplicate)):
            self._settle(key, _DUPLICATE)
        else:
            name = type(exception).__name__ if isinstance(exception, DropItem) else "DropItem"
            self._lose(key, f"dropped:{name}", f"{response.url} was dropped: {exception}")

    def item_error(
        self, item: Any, response: Response | None, spider: Spider, failure: Failure
    ) -> None:
        key = _article_key(response.request if response is not None else None)
        if key is not None:
            reason = f"item_error:{type(failure.value).__name__}"
            self._lose(key, reason, f"{response.url} was not stored: {failure.getErrorMessage()}")

    def article_lost(self, url: str, reason: str, detail: str, **kwargs: Any) -> None:
        self._lose(canonical_article_url(url), reason, detail)

    def _settle(self, key: str, outcome: str) -> bool:
        if key in self._outcomes:
            return False
        self._outcomes[key] = outcome
        return True

    def _lose(self, key: str, reason: str, detail: str) -> None:
        if not self._settle(key, reason):
            return
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{LOST_STAT}/{reason}")
        # Count, then summarise: ten thousand failures must not bury the rest of the log.
        if self._warned < self.max_warnings:
            logger.warning("Lost article (%s): %s", reason, detail)
        elif self._warned == self.max_warnings:
            logger.warning(
                "%d articles lost so far; further lost articles are only counted "
                "(newsbot/lost/<reason> stats and the end-of-crawl summary)",
                self._warned,
            )
        self._warned += 1

    # -- the end of the crawl -------------------------------------------------------------------

    def _counts(self) -> Counter[str]:
        return Counter(self._outcomes.values())

    def _lost_by_reason(self) -> Counter[str]:
        return Counter(o for o in self._outcomes.values() if o not in (_STORED, _DUPLICATE))

    def spider_idle(self, spider: Spider) -> None:
        assert self.crawler.stats is not None
        counts = self._counts()
        kept = counts[_STORED] + counts[_DUPLICATE]
        unchanged = self.crawler.stats.get_value(UNCHANGED_STAT, 0) or 0
        if self._lost_by_reason() and not kept and not unchanged:
            raise CloseSpider(ALL_FAILED)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for key in sorted(self._requested - set(self._outcomes)):
            if reason == "finished":
                # Should not happen: some path lost an article without a word. Say so.
                self._lose(key, "unaccounted", f"{key} was requested and never heard of again")
            else:
                self._lose(key, "not_fetched", f"{key} was not fetched: the crawl ended ({reason})")
        stats = self.crawler.stats
        assert stats is not None
        counts = self._counts()
        lost = self._lost_by_reason()
        stats.set_value("newsbot/articles/stored", counts[_STORED])
        stats.set_value("newsbot/articles/duplicate", counts[_DUPLICATE])
        stats.set_value("newsbot/articles/lost", lost.total())
        level = logging.WARNING if lost else logging.INFO
        logger.log(
            level,
            "Articles: %d found, %d fetched, %d stored, %d unchanged, %d duplicates, %d lost",
            stats.get_value(FOUND_STAT, 0),
            stats.get_value(FETCHED_STAT, 0),
            counts[_STORED],
            stats.get_value(UNCHANGED_STAT, 0),
            counts[_DUPLICATE],
            lost.total(),
        )
        if lost:
            by_reason = ", ".join(f"{name} {count}" for name, count in lost.most_common())
            logger.warning("Lost by reason: %s", by_reason)


def _article_key(request: Request | None) -> str | None:
    discovered = request.meta.get(DISCOVERED_META) if request is not None else None
    return canonical_article_url(discovered) if discovered else None


class CrawlRecord:
    """Write how the crawl ended into `newsbot-crawl.json` beside the index: its finish reason,
    and a status of `finished`, `failed` (a reason `scrapy crawl` exits 1 on) or `stopped`
    (Ctrl-C, a page or time limit), so `newsbot stats` never shows a failed crawl as a normal
    last crawl.

    The index pipeline writes the record, but closes before Scrapy knows the finish reason; this
    adds it at spider_closed, and only to the record of this crawl (the same `started_at`).
    """

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.started_at: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRecord:
        index_dir = crawler.settings.get("NEWSBOT_INDEX_DIR")
        if not index_dir or not crawler.settings.getbool("NEWSBOT_INDEX_ENABLED", True):
            raise NotConfigured("no index to record the crawl in")
        ext = cls(Path(index_dir))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        # The index pipeline opened first and started this crawl's record.
        self.started_at = read_crawl_state(self.index_dir).get("last_crawl", {}).get("started_at")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        state = read_crawl_state(self.index_dir)
        last = state.get("last_crawl")
        if not last or self.started_at is None or last.get("started_at") != self.started_at:
            return  # the index was never ours (index_busy), or another crawl began since
        if reason == "finished":
            status = "finished"
        elif reason in FAILED_FINISH_REASONS:
            status = "failed"
        else:
            status = "stopped"
        if last.get("status") in {DISK_FULL, "failed"}:
            status = "failed"
        last.update(finish_reason=reason, status=status)
        state["last_crawl"] = last
        if state.get("last_finished_crawl", {}).get("started_at") == self.started_at:
            state["last_finished_crawl"] = last
        write_json_atomically(self.index_dir / CRAWL_STATE_FILE, state)


class FrozenStartup:
    """Moves what exists when the crawl starts (Scrapy, lxml, the pipelines' state) out of the
    cyclic garbage collector's reach (`gc.freeze`).

    Every full collection otherwise walks the whole heap again: in bench/bench_crawl.py a crawl
    of 1,000 pages made 3 of them at 53 ms each, on the thread that was downloading.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrozenStartup:
        extension = cls()
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        return extension

    def engine_started(self) -> None:
        gc.collect()  # what is garbage now would otherwise stay frozen, never freed
        gc.freeze()
