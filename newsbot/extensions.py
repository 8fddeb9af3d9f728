"""Crawl-level extensions for discovery: front snapshots and the zero-article alarm.

- `FrontSnapshots` appends what each section front showed (crawl time, rank, article URL, the
  headline and summary as shown) to `<feed dir>/<spider>-fronts.jsonl`, where the feed dir is the
  directory of the crawl's file feed (`-o/-O path`, else `NEWSBOT_FEED_DIR`), unless
  `NEWSBOT_FRONTS_PATH` names a file. One JSON object per line, one line per article per crawl.
- `ZeroArticleAlarm` ends a crawl that found no article at all with reason `no_articles`, logs a
  loud ERROR summary and sets the stat `newsbot/crawl/zero_articles`.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from newsbot.dates import utc_now_iso
from newsbot.home import is_off

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from newsbot.parsers.front import FrontEntry

logger = logging.getLogger(__name__)

# Sent by the section spider with `front_url` and `entries` (list of FrontEntry) per front page.
front_seen = object()

FOUND_STAT = "newsbot/discovery/articles_found"
PARSED_STAT = "newsbot/articles/parsed"


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
        if self._found() == 0:
            raise CloseSpider(NO_ARTICLES)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler is not None and self.crawler.stats is not None
        stats = self.crawler.stats
        # Only a crawl that ran to its end can say the site had nothing; one stopped early
        # (Ctrl-C, a busy index) says nothing about the site.
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
