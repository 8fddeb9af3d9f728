"""Cap repeated log lines: the first N of each kind are logged, the rest counted and summarised.

A sitemap of 100k URLs that mostly answer 404 once gave 10,964 WARNING lines in 150 s, burying
everything else in the log. A "kind" is one logger, level and message template (the format string
before its arguments), so "Article %s answered HTTP %d" is one kind however many URLs fail. The
stats still count every failure; the log says how many lines it left out, once, at the end.
"""

from __future__ import annotations

import logging
from collections import Counter

# Loggers whose lines repeat once per URL when many URLs fail.
CAPPED_LOGGERS = (
    "newsbot.spiders.section",
    "newsbot.spiders.backfill",
    "scrapy.downloadermiddlewares.retry",
    "scrapy.spidermiddlewares.httperror",
)


class RepeatCap(logging.Filter):
    """A filter that passes `limit` records of each kind and counts the rest."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.seen: Counter[tuple[str, int, str]] = Counter()
        self._loggers: list[logging.Logger] = []

    @classmethod
    def install(cls, limit: int, names: tuple[str, ...] = CAPPED_LOGGERS) -> RepeatCap:
        """Attach a cap to the loggers `names` (a limit of 0 or less caps nothing)."""
        cap = cls(limit)
        if limit > 0:
            for name in names:
                log = logging.getLogger(name)
                log.addFilter(cap)
                cap._loggers.append(log)
        return cap

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg))
        self.seen[key] += 1
        return self.seen[key] <= self.limit

    def suppressed(self) -> dict[tuple[str, int, str], int]:
        """Records left out, by (logger, level, template)."""
        return {key: n - self.limit for key, n in self.seen.items() if n > self.limit}

    def summarise(self) -> None:
        """Detach, then log one line per kind of message that was left out."""
        for log in self._loggers:
            log.removeFilter(self)
        self._loggers.clear()
        for (name, level, template), count in sorted(self.suppressed().items()):
            logging.getLogger(name).log(
                level,
                "%d more lines like %r were not logged (NEWSBOT_LOG_REPEAT_LIMIT is %d); "
                "the stats count them all",
                count,
                template,
                self.limit,
            )


class NoNetworkTracebacks(logging.Filter):
    """Keep the message, drop the traceback, of a record whose exception is a network failure.

    Scrapy's robots.txt middleware logs "Error downloading …" with the whole traceback of a
    refused connection or a failed DNS lookup: offline, four of them buried the one line that
    said the site could not be reached. The cause is already in the message.
    """

    def __init__(self, network_errors: tuple[type[BaseException], ...]) -> None:
        super().__init__()
        self.network_errors = network_errors

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        # Twisted wraps the error in a Failure; its .value is the exception itself.
        error = getattr(error, "value", error)
        if isinstance(error, self.network_errors):
            record.exc_info = None
            record.exc_text = None
        return True

    @classmethod
    def install(cls, network_errors: tuple[type[BaseException], ...]) -> NoNetworkTracebacks:
        quiet = cls(network_errors)
        for name in ("scrapy.downloadermiddlewares.robotstxt", "scrapy.core.scraper"):
            logging.getLogger(name).addFilter(quiet)
        return quiet
