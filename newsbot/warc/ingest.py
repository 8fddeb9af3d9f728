"""Captures -> articles through the crawl's own item pipelines (clean ▸ validate ▸ dedupe ▸ index).

`run_ingest` drives a real Scrapy crawl whose spider, `WarcSpider`, fetches nothing: its
`start()` yields one item per located capture, parsed exactly as the section spider parses a
response (newsbot.warc.parse), so an article ingested from a WARC equals the one a crawl of the
same page stores. The pipelines, the feed (`ingest-<time>.jsonl` in NEWSBOT_FEED_DIR, the
index's backup as for a crawl) and the index are the crawl's. Other processes read, decode and
parse: one `ReadAhead` (newsbot.warc.read_ahead), or with `procs > 1` a pool of workers; the
pipelines stay in this one, because the index and the dedupe store have one writer.

`newsbot reextract` runs the same way with `reextract=True`: only the newest capture of each
article, and an index stage (`ReextractIndexPipeline`) that records what changed as a parser
change, not as a revision (see newsbot.search.history).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import scrapy
from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.exceptions import DropItem
from scrapy.settings import BaseSettings, Settings

from newsbot.dates import utc_now_iso
from newsbot.items import ArticleItem
from newsbot.pipelines.index import IndexPipeline
from newsbot.search.history import record_reextraction
from newsbot.search.schema import document_to_item
from newsbot.search.writer import ArchiveWriter, _history_of
from newsbot.spiders.section import add_default_feed
from newsbot.terminal import Progress
from newsbot.warc.parse import parse_located
from newsbot.warc.read_ahead import ReadAhead, ReadAheadFailed, select_captures
from newsbot.warc.reader import CaptureReader, Located, ReadReport

logger = logging.getLogger(__name__)

STAT = "newsbot/ingest"
_IGNORE_SIGINT = (signal.SIGINT, signal.SIG_IGN)
_START_MIDDLEWARE = {"scrapy.spidermiddlewares.start.StartSpiderMiddleware": 25}
# Scrapy's extensions that have nothing to do in an ingest (no requests, no console).
_UNUSED_EXTENSIONS = (
    "scrapy.extensions.remote_control.RemoteControl",
    "scrapy.extensions.telnet.TelnetConsole",
    "scrapy.extensions.throttle.AutoThrottle",
    "scrapy.extensions.memdebug.MemoryDebugger",
)
# How often a stopped ingest looks whether its scraper has become idle (see ItemsThrough).
_CLOSING_CHECK_SECONDS = 0.1
# The stat that holds why the read-ahead process failed, if it did.
READ_ERROR = f"{STAT}/read_error"
_INDEX_PIPELINE = "newsbot.pipelines.index.IndexPipeline"


class WarcSpider(scrapy.Spider):
    """Yields the articles of located captures; fetches nothing."""

    name = "ingest"

    def __init__(
        self,
        located: list[Located] | None = None,
        procs: int = 1,
        progress: Progress | None = None,
        ahead: ReadAhead | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.located = located or []
        self.ahead = ahead
        self.procs = max(1, procs)
        self.progress = progress

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        add_default_feed(settings)

    async def start(self) -> AsyncIterator[ArticleItem]:
        through = ItemsThrough(self.crawler)
        through.watch_closing()
        read = 0
        try:
            async for outcome in self._parsed():
                read += 1
                if self.progress is not None:
                    self.progress.advance()
                if isinstance(outcome, str):
                    self.crawler.stats.inc_value(f"{STAT}/{outcome}")
                    continue
                self.crawler.stats.inc_value(f"{STAT}/parsed")
                through.sent += 1
                yield ArticleItem(outcome)
        except ReadAheadFailed as error:
            # What came before is stored as usual; the rest is counted, and the command
            # reports the error and fails (see IngestResult.read_error).
            logger.info("%s", error)
            assert self.ahead is not None
            self.crawler.stats.set_value(READ_ERROR, str(error))
            self.crawler.stats.inc_value(f"{STAT}/not_read", self.ahead.located() - read)
        # Scrapy looks at items from start() again only on its 5-second heartbeat, so an
        # ingest sat up to 5 s after its last commit; ending start() once every item is
        # through the pipelines lets the engine see at once that the crawl is done.
        await through.all_done()

    async def _parsed(self) -> AsyncIterator[dict[str, Any] | str]:
        if self.ahead is not None:
            async for outcome in self.ahead.outcomes():
                yield outcome
            return
        # forkserver: a fork of a process running a reactor and threads is not safe.
        context = multiprocessing.get_context("forkserver")
        # The workers leave Ctrl-C to the command, which stops the run; each printed a
        # KeyboardInterrupt traceback otherwise.
        with ProcessPoolExecutor(
            self.procs, mp_context=context, initializer=signal.signal, initargs=_IGNORE_SIGINT
        ) as pool:
            # Bounded, in order: revisions of one article must reach the index oldest first.
            waiting: deque[Future[dict[str, Any] | str]] = deque()
            for located in self.located:
                waiting.append(pool.submit(parse_located, located))
                if len(waiting) >= 4 * self.procs:
                    yield await asyncio.wrap_future(waiting.popleft())
            while waiting:
                yield await asyncio.wrap_future(waiting.popleft())


class ItemsThrough:
    """Counts the items that left the pipelines (stored, dropped or failed) against `sent`.

    It also lets a closing scraper see that the last of them has left. Scrapy 2.19 checks
    whether a closing scraper became idle when a response is done with, but not when an item
    from start() is: an ingest stopped midway (Ctrl-C) waited forever for its scraper to
    close, though every item was through. So while the crawl runs, it looks every
    `_CLOSING_CHECK_SECONDS` whether the scraper is closing, and then whether it is idle."""

    def __init__(self, crawler: Crawler) -> None:
        self.sent = 0
        self._through = 0
        self._done = asyncio.Event()
        self._crawler = crawler
        for left in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self._passed, signal=left)

    def _passed(self, **_: Any) -> None:
        self._through += 1
        if self._through >= self.sent:
            self._done.set()

    def watch_closing(self) -> None:
        """Start looking (from within the running crawl) for a closing scraper."""
        engine = self._crawler.engine
        slot = engine.scraper.slot if engine is not None else None
        if slot is None or (slot.closing is not None and slot.closing.called):
            return  # closed, or its close has gone past the scraper: nothing left to see
        if slot.closing is not None:
            engine.scraper._check_if_closing()
        asyncio.get_running_loop().call_later(_CLOSING_CHECK_SECONDS, self.watch_closing)

    async def all_done(self) -> None:
        while self._through < self.sent:
            self._done.clear()
            await self._done.wait()


class ReextractSpider(WarcSpider):
    """The same, for `newsbot reextract`: its own name, so its feed is `reextract-<time>.jsonl`."""

    name = "reextract"


class AlreadyCurrent(DropItem):
    """Re-extraction made exactly the stored item: nothing to store, nothing for the feed."""


class ReextractWriter(ArchiveWriter):
    """An ArchiveWriter that folds items in as re-extractions of the stored version."""

    def __init__(self, index_dir: Path, lock_timeout: float = 30.0) -> None:
        super().__init__(index_dir, lock_timeout)
        self.unchanged: set[str] = set()

    def put(self, item: dict[str, Any]) -> str:
        stored = self.stored(item["url"])
        if stored is None:  # not in the index (dropped back then, or the index was rebuilt)
            return super().put(item)
        previous = document_to_item(stored)
        # Dedupe's findings are about the article, not the parse: keep them.
        item["alternates"] = previous.get("alternates") or []
        item["near_duplicate_of"] = previous.get("near_duplicate_of")
        history = _history_of(stored, previous, utc_now_iso())
        history, outcome = record_reextraction(history, previous, item, utc_now_iso())
        if outcome == "unchanged" and previous.get("parser_version") == item["parser_version"]:
            self.unchanged.add(item["url"])
            return outcome
        self.unchanged.discard(item["url"])
        # Same extraction by a newer parser: the item now says which parser makes it.
        self._queue(item, history)
        return outcome


class ReextractIndexPipeline(IndexPipeline):
    """The index pipeline, with re-extractions recorded apart from revisions."""

    def __init__(self, index_dir: Path, *args: Any, **kwargs: Any) -> None:
        super().__init__(index_dir, *args, **kwargs)
        self.writer = ReextractWriter(index_dir, self.writer.lock_timeout)

    async def process_item(self, item: Any) -> Any:
        item = await super().process_item(item)
        url = ItemAdapter(item)["url"]
        if url in self.writer.unchanged:
            raise AlreadyCurrent(f"{url} is unchanged by the parser", log_level="DEBUG")
        return item


@dataclass
class IngestResult:
    stats: dict[str, Any]
    report: ReadReport
    located: int
    failed: bool = False
    outcomes: dict[str, int] = field(default_factory=dict)
    # Why the captures after some point were not read (the read-ahead process failed), or "".
    read_error: str = ""


def ingest_settings(index_dir: Path, log_level: str, reextract: bool) -> Settings:
    """The project's settings (wherever the command runs), minus what only a network crawl needs."""
    settings = Settings()
    settings.setmodule("newsbot.settings", priority="project")
    settings.set("NEWSBOT_INDEX_DIR", str(index_dir), priority="cmdline")
    settings.set("NEWSBOT_WARC_ENABLED", False, priority="cmdline")
    settings.set("NEWSBOT_ZERO_ALARM", False, priority="cmdline")
    settings.set("NEWSBOT_FRONTS_ENABLED", False, priority="cmdline")
    settings.set("NEWSBOT_STATE_PATH", "off", priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    settings.set("FEED_STORE_EMPTY", False, priority="cmdline")
    # Items arrive as fast as they parse: the batch fills by count, and the timer only has to
    # commit the last one, so waiting NEWSBOT_INDEX_COMMIT_SECONDS (for a slow crawl) is idle.
    settings.set("NEWSBOT_INDEX_COMMIT_SECONDS", 1.0, priority="cmdline")
    # Nothing is fetched: no download handlers, no downloader middlewares, and of Scrapy's
    # spider middlewares only the one start() needs (the rest act on responses). Scrapy loads
    # every component it is given, even one set to None, so they are left out of the *_BASE
    # settings themselves: that was 0.3 s of start-up (TLS for HTTPS, aiohttp for the remote
    # control, tldextract for cookies), and each item went through five middlewares for none.
    settings.set("DOWNLOAD_HANDLERS_BASE", {}, priority="cmdline")
    settings.set("DOWNLOADER_MIDDLEWARES_BASE", {}, priority="cmdline")
    settings.set("DOWNLOADER_MIDDLEWARES", {}, priority="cmdline")
    settings.set("SPIDER_MIDDLEWARES_BASE", _START_MIDDLEWARE, priority="cmdline")
    extensions = dict(settings.getdict("EXTENSIONS_BASE"))
    for unused in _UNUSED_EXTENSIONS:
        extensions.pop(unused, None)
    settings.set("EXTENSIONS_BASE", extensions, priority="cmdline")
    if reextract:
        pipelines = dict(settings.getdict("ITEM_PIPELINES"))
        order = pipelines.pop(_INDEX_PIPELINE, 400)
        pipelines[f"{__name__}.ReextractIndexPipeline"] = order
        settings.set("ITEM_PIPELINES", pipelines, priority="cmdline")
    return settings


def run_ingest(
    source: CaptureReader | ReadAhead,
    index_dir: Path,
    *,
    procs: int = 1,
    reextract: bool = False,
    since: str = "",
    log_level: str = "ERROR",
    progress: Progress | None = None,
) -> IngestResult:
    """Run the captures through the pipelines in one Scrapy crawl: those a `ReadAhead` reads
    and parses (started with the same `reextract` and `since`), or those of a reader, located
    here and parsed by `procs` processes."""
    ahead = source if isinstance(source, ReadAhead) else None
    located: list[Located] = []
    if ahead is not None:
        count, report = ahead.located(), ahead.report
        assert report is not None
    else:
        located = select_captures(source.locate(), reextract, since)
        count, report = len(located), source.report
    if progress is not None:
        progress.total = max(count, 1)
    settings = ingest_settings(index_dir, log_level, reextract)
    process = CrawlerProcess(settings)
    crawler: Crawler = process.create_crawler(ReextractSpider if reextract else WarcSpider)
    process.crawl(crawler, located=located, procs=procs, progress=progress, ahead=ahead)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    if progress is not None:
        progress.finish()
    return IngestResult(
        stats=stats,
        report=report,
        located=count,
        failed=bool(process.bootstrap_failed)
        or stats.get("finish_reason") != "finished"
        or READ_ERROR in stats,
        outcomes=_outcomes(stats),
        read_error=stats.get(READ_ERROR, ""),
    )


def _outcomes(stats: dict[str, Any]) -> dict[str, int]:
    """What happened to each parsed article: stored as new/revised/..., or dropped, by reason."""
    outcomes: dict[str, int] = {}
    for key, value in stats.items():
        if key.startswith("newsbot/index/") and key.rsplit("/", 1)[-1] != "commits":
            outcomes[key.rsplit("/", 1)[-1]] = value
        elif key.startswith("item_dropped_reasons_count/"):
            outcomes[f"dropped: {key.rsplit('/', 1)[-1]}"] = value
        elif key.startswith(f"{STAT}/") and key not in (f"{STAT}/parsed", READ_ERROR):
            outcomes[key.rsplit("/", 1)[-1]] = value
    return outcomes
