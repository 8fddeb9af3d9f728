"""`scrapy crawl` with an exit status that scripts and cron jobs can act on.

Scrapy's own command exits 0 for any crawl that started. A crawl that found no article, or never
ran because another crawl holds the index, left the archive as it was, and the caller should know.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newsbot.extensions import NO_ARTICLES
from newsbot.pipelines import DISK_FULL, INDEX_BUSY

FAILED_FINISH_REASONS = frozenset({NO_ARTICLES, INDEX_BUSY, DISK_FULL})


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
        # The process forgets its crawlers when they finish; keep ours to read its finish reason.
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
        if self.crawler_process.bootstrap_failed or reason in FAILED_FINISH_REASONS:
            self.exitcode = 1
