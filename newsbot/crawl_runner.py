"""Run section crawls inside this process, for `newsbot crawl`: the same spiders and settings as
`scrapy crawl`, from any directory, with a live progress line and a short summary at the end.

Scrapy's log goes to a file under the data home (`data/logs/`) unless `verbose` is set, because
hundreds of INFO lines drown the few things a person running a crawl by hand wants to see.
Sections run one after the other in one process and one reactor: they write the same index, whose
crawl lock a second, simultaneous crawl in this process would share rather than wait for.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from newsbot import home
from newsbot.errors import UsageError
from newsbot.sites import SECTIONS

SETTINGS_MODULE = "newsbot.settings"
# How often the progress line is redrawn.
_REFRESH_SECONDS = 0.5

# Stats that say what became of the articles a crawl found (newsbot.extensions.LossReport
# accounts for each one; the index pipeline tells new from revised from unchanged).
FOUND = "newsbot/discovery/articles_found"
SKIPPED_UNCHANGED = "newsbot/discovery/unchanged_skipped"
FETCHED = "newsbot/articles/fetched"
STORED = "newsbot/index/new"
REVISED = "newsbot/index/revised"
UNCHANGED = "newsbot/index/unchanged"
# Every article found and not stored is counted here, by reason.
LOST_PREFIX = "newsbot/lost/"


@dataclass
class CrawlOptions:
    sections: Sequence[str]
    site: str | None = None
    refetch: bool = False
    output: Path | None = None
    overwrite: bool = False
    jobdir: Path | None = None
    index: Path | None = None
    settings: Mapping[str, str] = field(default_factory=dict)
    verbose: bool = False
    # A backfill through the sitemap index: YYYY-MM-DD days, `until` defaulting to today.
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True)
class Tally:
    """What became of a crawl's articles, read from its stats."""

    found: int = 0
    fetched: int = 0
    stored: int = 0
    revised: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: tuple[tuple[str, int], ...] = ()

    @classmethod
    def from_stats(cls, stats: Mapping[str, Any]) -> Tally:
        def count(key: str) -> int:
            value = stats.get(key, 0)
            return value if isinstance(value, int) else 0

        failures = tuple(
            sorted(
                (key.removeprefix(LOST_PREFIX), count(key))
                for key in stats
                if key.startswith(LOST_PREFIX) and count(key) > 0
            )
        )
        return cls(
            found=count(FOUND),
            fetched=count(FETCHED),
            stored=count(STORED),
            revised=count(REVISED),
            unchanged=count(UNCHANGED) + count(SKIPPED_UNCHANGED),
            failed=sum(number for _, number in failures),
            failures=failures,
        )

    def line(self) -> str:
        return (
            f"{self.found} found · {self.fetched} fetched · {self.stored} stored · "
            f"{self.revised} revised · {self.unchanged} unchanged · {self.failed} failed"
        )


def check_sections(names: Sequence[str]) -> list[str]:
    """The named sections, or a UsageError that suggests the nearest name for a typo."""
    for name in names:
        if name not in SECTIONS:
            close = difflib.get_close_matches(name, SECTIONS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else None
            known = ", ".join(SECTIONS)
            raise UsageError(f"no section named {name!r} (known: {known})", hint=hint)
    return list(dict.fromkeys(names))


def is_loopback(url: str) -> bool:
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def crawl_settings(options: CrawlOptions, log_file: Path | None) -> Any:
    """The project's settings with this run's options at command-line priority."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    overrides: dict[str, Any] = dict(options.settings)
    if options.site:
        overrides["NEWSBOT_SITE"] = options.site.rstrip("/")
        if is_loopback(options.site):
            # The server is the user's own: politeness delays would only slow the crawl down.
            overrides.setdefault("DOWNLOAD_DELAY", 0)
            overrides.setdefault("AUTOTHROTTLE_ENABLED", False)
    if options.index:
        overrides["NEWSBOT_INDEX_DIR"] = str(options.index)
    if options.jobdir:
        overrides["JOBDIR"] = str(options.jobdir)
    if options.output:
        feed = {"format": "jsonlines", "encoding": "utf-8", "overwrite": options.overwrite}
        overrides["FEEDS"] = {str(options.output): feed}
    if log_file is not None:
        overrides["LOG_FILE"] = str(log_file)
        overrides["LOG_FILE_APPEND"] = False
    settings.setdict(overrides, priority="cmdline")
    return settings


def crawl_jobs(
    sections: Sequence[str], settings: Any, options: CrawlOptions
) -> list[tuple[str, Any, dict[str, str]]]:
    """(label, spider, spider arguments) per crawl to run: one per section, one after another;
    in a fleet one crawl of all the sections, so the workers share all their work."""
    from newsbot.fleet.connection import redis_url_from

    if not redis_url_from(settings):
        return [(name, name, {}) for name in sections]
    if options.output or options.jobdir:
        raise UsageError(
            "in a fleet the index worker writes the feed, and the queue lives in Redis",
            hint="give -o to `newsbot index-worker`, and drop --jobdir",
        )
    if len(sections) == 1:
        return [(sections[0], sections[0], {})]
    from newsbot.fleet.spider import SectionsSpider

    return [("+".join(sorted(sections)), SectionsSpider, {"sections": ",".join(sections)})]


class ProgressLine:
    """One line on a terminal, redrawn while the crawl runs; nothing when stderr is not one."""

    def __init__(self, stream: TextIO) -> None:
        self.enabled = stream.isatty()
        self._progress: Any = None
        self._task: Any = None
        if self.enabled:
            # rich gives the bar, the rate, elapsed time and the ETA, and forgets the line when
            # the terminal is too narrow; imported here so other commands never pay for it.
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=20),
                MofNCompleteColumn(),
                TextColumn("{task.fields[tally]} · {task.fields[rate]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(file=stream),
                transient=True,
            )

    def start(self, section: str) -> None:
        if self.enabled:
            self._progress.start()
            self._task = self._progress.add_task(section, total=None, tally="", rate="")
            self._started = time.monotonic()

    def update(self, tally: Tally) -> None:
        if not self.enabled or self._task is None:
            return
        done = tally.fetched + tally.unchanged + tally.failed
        rate = tally.fetched / max(time.monotonic() - self._started, 1e-9)
        self._progress.update(
            self._task,
            total=max(tally.found, done) or None,
            completed=done,
            tally=tally.line(),
            rate=f"{rate:.1f}/s",
        )

    def stop(self) -> None:
        if self.enabled and self._task is not None:
            self._progress.stop()
            self._task = None


def summary(section: str, stats: Mapping[str, Any], seconds: float, log_file: Path | None) -> str:
    tally = Tally.from_stats(stats)
    reason = stats.get("finish_reason", "unknown")
    lines = [f"{section}: {reason} in {seconds:.1f}s — {tally.line()}"]
    unreached = {
        key.rsplit("/", 1)[-1]: count
        for key, count in stats.items()
        if key.startswith("newsbot/discovery/failed/")
    }
    if unreached:
        said = ", ".join(f"{count} {reason}" for reason, count in sorted(unreached.items()))
        lines.append(f"  discovery pages that failed: {said}")
    for reason, number in tally.failures:
        lines.append(f"  not stored: {number} {reason}")
    if log_file is not None:
        lines.append(f"  log: {log_file}")
    return "\n".join(lines)


def new_log_file(kind: str) -> Path:
    """`<home>/data/logs/<kind>-<time>-<pid>.log`: the pid too, because fleet workers started in
    the same second must not share one log."""
    log_dir = home.log_dir()
    log_dir.mkdir(parents=True, exist_ok=True)
    return log_dir / f"{kind}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.log"


def run_crawls(options: CrawlOptions, stream: TextIO | None = None) -> int:
    """Crawl each section in turn; 0 when every crawl ended well, else 1."""
    stream = stream if stream is not None else sys.stderr
    sections = check_sections(options.sections)
    log_file = None if options.verbose else new_log_file("crawl")
    settings = crawl_settings(options, log_file)
    jobs = crawl_jobs(sections, settings, options)

    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.asyncio import create_looping_call
    from twisted.python.failure import Failure

    from newsbot.extensions import FAILED_FINISH_REASONS

    process = CrawlerProcess(settings)
    common_args = {"refetch": "all"} if options.refetch else {}
    if options.since:
        common_args.update(since=options.since, until=options.until or "")
    progress = ProgressLine(stream)
    results: list[tuple[str, dict[str, Any], float]] = []

    def crawl(position: int) -> Any:
        if position == len(jobs):
            return None
        name, spider, spider_args = jobs[position]
        spider_args = {**spider_args, **common_args}
        crawler = process.create_crawler(spider)
        started = time.monotonic()
        ticker: Any = None

        def engine_started() -> None:
            # Not before: the looping call runs on the reactor, which Scrapy installs itself.
            nonlocal ticker
            progress.start(name)
            progress.update(_tally(crawler))
            ticker = create_looping_call(lambda: progress.update(_tally(crawler)))
            ticker.start(_REFRESH_SECONDS, now=False)

        crawler.signals.connect(engine_started, signal=signals.engine_started)

        def finished(result: Any) -> Any:
            if ticker is not None and ticker.running:
                ticker.stop()
            progress.stop()
            stats = dict(crawler._stats.get_stats()) if crawler._stats else {}
            if isinstance(result, Failure):
                # The spider could not even start (a bad option, say): one line, not a traceback.
                stats.setdefault("finish_reason", f"failed to start: {result.getErrorMessage()}")
                stats["newsbot/crawl/start_failed"] = 1
            results.append((name, stats, time.monotonic() - started))
            print(summary(name, stats, time.monotonic() - started, log_file), file=stream)
            return crawl(position + 1)

        return process.crawl(crawler, **spider_args).addBoth(finished)

    crawl(0)
    process.start()
    if process.bootstrap_failed or len(results) < len(jobs):
        return 1
    failed = any(
        stats.get("newsbot/crawl/start_failed")
        or stats.get("finish_reason") in FAILED_FINISH_REASONS
        for _, stats, _ in results
    )
    return 1 if failed else 0


def _tally(crawler: Any) -> Tally:
    # `_stats`, not `stats`: Scrapy's documented way to read it before it may be set.
    return Tally.from_stats(crawler._stats.get_stats() if crawler._stats else {})


@dataclass
class IndexWorkerOptions:
    redis_url: str | None = None
    exit_when_done: bool = False
    index: Path | None = None
    output: Path | None = None
    overwrite: bool = False
    settings: Mapping[str, str] = field(default_factory=dict)
    verbose: bool = False


def run_index_worker(options: IndexWorkerOptions, stream: TextIO | None = None) -> int:
    """Run the fleet's index writer until stopped (or, with exit_when_done, until the run is
    done and its items are stored); 0 when every item it took was committed or dropped."""
    stream = stream if stream is not None else sys.stderr
    overrides = dict(options.settings)
    if options.redis_url:
        overrides["NEWSBOT_REDIS_URL"] = options.redis_url
    crawl_options = CrawlOptions(
        sections=(),
        index=options.index,
        output=options.output,
        overwrite=options.overwrite,
        settings=overrides,
        verbose=options.verbose,
    )
    log_file = None if options.verbose else new_log_file("index-worker")
    settings = crawl_settings(crawl_options, log_file)

    from newsbot.fleet.connection import FleetError, connect, redis_url_from

    url = redis_url_from(settings)
    if not url:
        raise UsageError("which Redis?", hint="give --redis URL or set NEWSBOT_REDIS_URL")
    connect(url)  # one clear line now rather than a traceback from inside Scrapy
    from scrapy.crawler import CrawlerProcess

    from newsbot.fleet.index_worker import IndexWorkerSpider

    process = CrawlerProcess(settings)
    crawler = process.create_crawler(IndexWorkerSpider)
    started = time.monotonic()
    process.crawl(crawler, exit_when_done=options.exit_when_done)
    process.start()
    stats = dict(crawler._stats.get_stats()) if crawler._stats else {}
    print(summary("index-worker", stats, time.monotonic() - started, log_file), file=stream)
    spider = crawler.spider
    if spider is not None and spider.fatal:
        raise FleetError(spider.fatal)
    if spider is not None and spider.failed:
        print(
            f"  {spider.failed} items could not be stored; they stay queued for the next run",
            file=stream,
        )
        return 1
    return 1 if process.bootstrap_failed else 0
