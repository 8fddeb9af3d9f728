"""`newsbot stats`: what the index holds."""

from __future__ import annotations

import argparse
import sys

from newsbot.cli import add_index_argument, resolve_index
from newsbot.search.searcher import BUILD_HINT, open_searcher
from newsbot.search.stats import IndexStats, collect
from newsbot.terminal import clean, json_line

NAME = "stats"
HELP = "show article count, date range, sections, index size and last crawl time"
EXAMPLE = "newsbot stats --json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_index_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _size(size: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def _how_it_ended(stats: IndexStats) -> str:
    status, reason = stats.last_crawl_status, stats.last_crawl_finish_reason
    if status in (None, "finished") and reason in (None, "finished"):
        return ""
    if status == "running":
        return " (did not finish: still running, or killed)"
    return f" ({clean(status)}: {clean(reason)})" if reason else f" ({clean(status)})"


def run(args: argparse.Namespace) -> int:
    index_dir = resolve_index(args)
    with open_searcher(index_dir, allow_empty=True) as searcher:
        stats = collect(searcher, index_dir)
    if not stats.documents:
        print(f"newsbot stats: the index is empty; {BUILD_HINT}", file=sys.stderr)
    if args.json:
        print(json_line(stats.as_json()))
        return 0
    print(f"index:      {index_dir}")
    print(f"documents:  {stats.documents}")
    print(f"oldest:     {clean(stats.oldest) or '-'}")
    print(f"newest:     {clean(stats.newest) or '-'}")
    print(f"last crawl: {clean(stats.last_crawl) or '-'}{_how_it_ended(stats)}")
    print(f"size:       {_size(stats.size_bytes)} ({stats.size_bytes} bytes)")
    print("sections:")
    for name, count in stats.sections.items():
        print(f"  {count:>7}  {clean(name)}")
    return 0
