"""`newsbot reextract`: run today's parser over the stored captures and update the archive."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from newsbot.cli import add_index_argument, resolve_index
from newsbot.commands.ingest import add_log_argument, add_procs_argument
from newsbot.errors import NewsbotError, UsageError
from newsbot.terminal import clean

if TYPE_CHECKING:
    from newsbot.warc.ingest import IngestResult

NAME = "reextract"
HELP = "re-parse the stored WARC captures with today's parser; parser changes are kept apart"
EXAMPLE = "newsbot reextract --since 2026-11-01"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since", metavar="YYYY-MM-DD", help="only articles captured on or after this day (UTC)"
    )
    parser.add_argument(
        "--url", metavar="URL", help="only this article (canonical, AMP or with tracking)"
    )
    add_index_argument(parser)
    parser.add_argument(
        "--warc-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the captures are (default: $NEWSBOT_WARC_DIR, else warc/ beside the index)",
    )
    add_procs_argument(parser)
    add_log_argument(parser)


def _since(text: str | None) -> str:
    if not text:
        return ""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError as error:
        raise UsageError(f"--since {text!r} is not a day", hint="write it as 2026-11-01") from error


def run(args: argparse.Namespace) -> int:
    from newsbot.commands.ingest import run_captures
    from newsbot.urls import canonical_article_url, is_discoverable_article, strip_tracking
    from newsbot.warc.files import default_warc_dir, warc_files

    since = _since(args.since)
    index_dir = resolve_index(args)
    warc_dir = args.warc_dir or Path(
        os.environ.get("NEWSBOT_WARC_DIR") or default_warc_dir(index_dir)
    )
    paths = warc_files(warc_dir) if warc_dir.is_dir() else []
    if not paths:
        raise NewsbotError(
            f"no WARC captures in {warc_dir}",
            hint="crawls capture there unless NEWSBOT_WARC_ENABLED is off; or give --warc-dir",
        )
    only = canonical_article_url(strip_tracking(args.url)) if args.url else None

    def wanted(url: str) -> bool:
        if not is_discoverable_article(url):
            return False
        return only is None or canonical_article_url(strip_tracking(url)) == only

    procs = max(1, min(args.procs, os.cpu_count() or 1))
    return run_captures("reextract", paths, wanted, index_dir, procs, args.verbose, since)


def report_run(command: str, result: IngestResult, index_dir: Path, out: TextIO) -> int:
    """The summary both `ingest` and `reextract` print; the exit status it implies."""
    report = result.report
    records = ", ".join(f"{count} {kind}" for kind, count in sorted(report.records.items()))
    print(f"read {report.files} WARC file(s): {records or 'no records'}", file=out)
    skipped = ", ".join(f"{count} {why}" for why, count in sorted(report.skipped.items()))
    if skipped:
        print(f"not used: {skipped}", file=out)
    outcomes = ", ".join(f"{count} {what}" for what, count in sorted(result.outcomes.items()))
    print(f"{result.located} pages to parse into {index_dir}: {outcomes or 'nothing'}", file=out)
    for where in report.truncated:
        print(
            f"newsbot {command}: truncated record at {clean(where)}; "
            "the records before it went in, the rest of that file could not be read",
            file=out,
        )
    for problem in report.unreadable:
        print(f"newsbot {command}: cannot read {clean(problem)}", file=out)
    if result.read_error:
        print(f"newsbot {command}: error: {clean(result.read_error)}", file=out)
    elif result.failed:
        reason = result.stats.get("finish_reason", "did not start")
        print(f"newsbot {command}: error: the run ended with {reason}", file=out)
    return 1 if result.failed or report.damaged else 0
