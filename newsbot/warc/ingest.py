"""Captures -> articles through the crawl's own item pipelines (clean ▸ validate ▸ dedupe ▸ index).

`run_ingest` drives a real Scrapy crawl whose spider, `WarcSpider`, fetches nothing: its
`start()` yields one item per located capture, parsed exactly as the section spider parses a
response (a Scrapy `HtmlResponse` decodes the body, `parse_article` reads it), so an article
ingested from a WARC equals the one a crawl of the same page stores. The pipelines, the feed
(`ingest-<time>.jsonl` in NEWSBOT_FEED_DIR, the index's backup as for a crawl) and the index are
the crawl's. With `procs > 1`, worker processes read, decode and parse; the pipelines stay in
this one, because the index and the dedupe store have one writer.

`newsbot reextract` runs the same way with `reextract=True`: only the newest capture of each
article, and an index stage (`ReextractIndexPipeline`) that records what changed as a parser
change, not as a revision (see newsbot.search.history).
"""

from __future__ import annotations

import asyncio
import glob
import logging
import multiprocessing
from collections import deque
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import scrapy
from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse
from scrapy.settings import BaseSettings, Settings

from newsbot.dates import utc_now_iso
from newsbot.items import ArticleItem
from newsbot.parsers import NotAnArticle, ParseError, parse_article
from newsbot.pipelines.index import IndexPipeline
from newsbot.search.history import record_reextraction
from newsbot.search.schema import document_to_item
from newsbot.search.writer import ArchiveWriter, _history_of
from newsbot.spiders.section import add_default_feed
from newsbot.terminal import Progress
from newsbot.urls import canonical_article_url
from newsbot.warc.reader import CaptureReader, Located, ReadReport, UndecodableBody, read_capture

logger = logging.getLogger(__name__)

STAT = "newsbot/ingest"
_INDEX_PIPELINE = "newsbot.pipelines.index.IndexPipeline"


def parse_located(located: Located) -> dict[str, Any] | str:
    """The item the capture holds, or why it holds none (a stat name). Runs in any process."""
    try:
        capture = read_capture(located)
    except UndecodableBody:
        return "undecodable"
    except OSError:
        return "unreadable"
    headers = {"Content-Type": capture.content_type} if capture.content_type else None
    response = HtmlResponse(url=capture.url, body=capture.body, headers=headers)
    try:
        item = parse_article(response.text, response.url)
    except NotAnArticle:
        return "not_article"
    except ParseError:
        return "parse_error"
    item["source_url"] = capture.url
    item["crawled_at"] = capture.date
    return dict(item)


def newest_per_article(located: list[Located]) -> list[Located]:
    """The latest capture of each article: the one its current version was extracted from."""
    newest: dict[str, Located] = {}
    for capture in located:
        key = canonical_article_url(capture.url)
        if key not in newest or (capture.date or "") >= (newest[key].date or ""):
            newest[key] = capture
    return list(newest.values())


class WarcSpider(scrapy.Spider):
    """Yields the articles of located captures; fetches nothing."""

    name = "ingest"

    def __init__(
        self,
        located: list[Located] | None = None,
        procs: int = 1,
        progress: Progress | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.located = located or []
        self.procs = max(1, procs)
        self.progress = progress

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        add_default_feed(settings)

    async def start(self) -> AsyncIterator[ArticleItem]:
        through = ItemsThrough(self.crawler)
        async for outcome in self._parsed():
            if self.progress is not None:
                self.progress.advance()
            if isinstance(outcome, str):
                self.crawler.stats.inc_value(f"{STAT}/{outcome}")
                continue
            self.crawler.stats.inc_value(f"{STAT}/parsed")
            through.sent += 1
            yield ArticleItem(outcome)
        # Scrapy looks at items from start() again only on its 5-second heartbeat, so an
        # ingest sat up to 5 s after its last commit; ending start() once every item is
        # through the pipelines lets the engine see at once that the crawl is done.
        await through.all_done()

    async def _parsed(self) -> AsyncIterator[dict[str, Any] | str]:
        if self.procs == 1:
            for located in self.located:
                yield parse_located(located)
            return
        # forkserver: a fork of a process running a reactor and threads is not safe.
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(self.procs, mp_context=context) as pool:
            # Bounded, in order: revisions of one article must reach the index oldest first.
            waiting: deque[Future[dict[str, Any] | str]] = deque()
            for located in self.located:
                waiting.append(pool.submit(parse_located, located))
                if len(waiting) >= 4 * self.procs:
                    yield await asyncio.wrap_future(waiting.popleft())
            while waiting:
                yield await asyncio.wrap_future(waiting.popleft())


class ItemsThrough:
    """Counts the items that left the pipelines (stored, dropped or failed) against `sent`."""

    def __init__(self, crawler: Crawler) -> None:
        self.sent = 0
        self._through = 0
        self._done = asyncio.Event()
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self._passed, signal=signal)

    def _passed(self, **_: Any) -> None:
        self._through += 1
        if self._through >= self.sent:
            self._done.set()

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
    if reextract:
        pipelines = dict(settings.getdict("ITEM_PIPELINES"))
        order = pipelines.pop(_INDEX_PIPELINE, 400)
        pipelines[f"{__name__}.ReextractIndexPipeline"] = order
        settings.set("ITEM_PIPELINES", pipelines, priority="cmdline")
    return settings


def run_ingest(
    reader: CaptureReader,
    index_dir: Path,
    *,
    procs: int = 1,
    reextract: bool = False,
    since: str = "",
    log_level: str = "ERROR",
    progress: Progress | None = None,
) -> IngestResult:
    """Locate the captures, then run them through the pipelines in one Scrapy crawl."""
    located = reader.locate()
    if reextract:
        located = newest_per_article(located)
    if since:  # a day, YYYY-MM-DD: every capture date of that day sorts after it
        located = [capture for capture in located if (capture.date or "") >= since]
    # Date order, so the revisions of an article are folded in as they happened.
    located.sort(key=lambda capture: (capture.date or "", capture.url))
    if progress is not None:
        progress.total = max(len(located), 1)
    settings = ingest_settings(index_dir, log_level, reextract)
    process = CrawlerProcess(settings)
    crawler: Crawler = process.create_crawler(ReextractSpider if reextract else WarcSpider)
    process.crawl(crawler, located=located, procs=procs, progress=progress)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    if progress is not None:
        progress.finish()
    return IngestResult(
        stats=stats,
        report=reader.report,
        located=len(located),
        failed=bool(process.bootstrap_failed) or stats.get("finish_reason") != "finished",
        outcomes=_outcomes(stats),
    )


def _outcomes(stats: dict[str, Any]) -> dict[str, int]:
    """What happened to each parsed article: stored as new/revised/..., or dropped, by reason."""
    outcomes: dict[str, int] = {}
    for key, value in stats.items():
        if key.startswith("newsbot/index/") and key.rsplit("/", 1)[-1] != "commits":
            outcomes[key.rsplit("/", 1)[-1]] = value
        elif key.startswith("item_dropped_reasons_count/"):
            outcomes[f"dropped: {key.rsplit('/', 1)[-1]}"] = value
        elif key.startswith(f"{STAT}/") and key != f"{STAT}/parsed":
            outcomes[key.rsplit("/", 1)[-1]] = value
    return outcomes


def matching_paths(patterns: list[str]) -> Iterator[Path]:
    """Files named or matched by glob patterns, each once, in the order given."""
    seen: set[Path] = set()
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        for match in matches:
            path = Path(match)
            if path not in seen:
                seen.add(path)
                yield path


def warc_files(directory: Path) -> list[Path]:
    """newsbot's finished WARC files in `directory`, oldest first (names start with the time)."""
    return sorted(
        path
        for pattern in ("*.warc.gz", "*.warc")
        for path in directory.glob(pattern)
        if path.is_file()
    )
