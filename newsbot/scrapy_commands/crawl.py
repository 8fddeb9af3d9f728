"""`scrapy crawl` with an exit status that scripts and cron jobs can act on.

Scrapy's own command exits 0 for any crawl that started. A crawl that found no article, stored
none of the articles it found, or never ran because another crawl holds the index, left the
archive as it was, and the caller should know.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred

from newsbot.extensions import FAILED_FINISH_REASONS


class Command(ScrapyCrawlCommand):
    def long_desc(self) -> str:
        reasons = " or ".join(sorted(FAILED_FINISH_REASONS))
        return (
            "Run a spider of the current project, by name. Exits with status 1 when the crawl "
            f"could not start, or ended with finish reason {reasons}."
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name, e.g. 'scrapy crawl americas'")
        assert self.crawler_process
        name = args[0]
        known = self.crawler_process.spider_loader.list()
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            suggestion = f"; did you mean '{close[0]}'?" if close else ""
            raise UsageError(f"no spider named {name!r} (known: {', '.join(known)}){suggestion}")
        # The process forgets its crawlers when they finish; keep ours to read its finish reason.
        crawler = self._create_crawler(name)
        started = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(started, Deferred):  # CrawlerProcess; AsyncCrawlerProcess gives a Task
            started.addErrback(lambda failure: self._failed_to_start(failure.value))
        else:
            started.add_done_callback(self._task_done)
        self.crawler_process.start()
        # Stats exist only once the crawl started; a spider that refused its options has none.
        stats = crawler._stats
        reason = stats.get_value("finish_reason") if stats else None
        if self.crawler_process.bootstrap_failed or reason in FAILED_FINISH_REASONS:
            self.exitcode = 1

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._failed_to_start(task.exception())

    def _failed_to_start(self, error: BaseException | None) -> None:
        # Scrapy would print the spider's ValueError as a traceback; it is a usage message.
        print(f"scrapy crawl: error: {error}", file=sys.stderr)
        self.exitcode = 1
