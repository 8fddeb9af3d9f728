"""`newsbot reindex FEED.jsonl...`: rebuild the index from crawl feeds."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from newsbot.cli import add_index_argument, resolve_index
from newsbot.terminal import Progress, clean

if TYPE_CHECKING:
    from newsbot.search.reindex import BadLine

NAME = "reindex"
HELP = "rebuild the index from JSON Lines feeds; later lines win for a repeated url"
EXAMPLE = "newsbot reindex data/americas-*.jsonl --index index/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "feeds",
        nargs="+",
        type=Path,
        metavar="FEED",
        help="JSON Lines feed files, or folders of them (front snapshots are left out)",
    )
    add_index_argument(parser)
    parser.add_argument(
        "--procs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        metavar="N",
        help="indexing processes (default: 2 if there are 2 cores; ~1.7x faster than 1)",
    )
    parser.add_argument(
        "--lock-timeout",
        type=float,
        default=_default_lock_timeout(),
        metavar="SECONDS",
        help="how long to wait for a crawl that is writing the index, then give up with exit "
        "status 1 (default: $NEWSBOT_INDEX_LOCK_TIMEOUT, else 30)",
    )


def _default_lock_timeout() -> float:
    try:
        return float(os.environ.get("NEWSBOT_INDEX_LOCK_TIMEOUT") or 30.0)
    except ValueError:
        return 30.0


def _say(message: str) -> None:
    print(f"newsbot reindex: {clean(message)}", file=sys.stderr)


def _report_bad(bad: BadLine) -> None:
    print(f"newsbot reindex: skipped {clean(str(bad))}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    # Imported here, not above: it loads the item contract and with it Scrapy, ~0.2 s that
    # every other newsbot command would pay at start-up.
    from newsbot.search.reindex import reindex

    index_dir = resolve_index(args)
    progress = Progress(total=0, label="indexing")
    report = reindex(
        args.feeds,
        index_dir,
        procs=max(1, min(args.procs, os.cpu_count() or 1)),
        lock_timeout=max(0.0, args.lock_timeout),
        on_wait=_say,
        on_bad=_report_bad,
        progress=progress,
    )
    summary = f"indexed {report.documents} articles from {report.lines} lines into {index_dir}"
    if report.duplicates:
        summary += f"; {report.duplicates} repeated urls (the later line kept)"
    if report.bad:
        summary += f"; {len(report.bad)} bad lines skipped"
    print(summary, file=sys.stderr)
    # The index is built from the good lines, but bad lines mean the feed needs a look.
    return 1 if report.bad else 0
