"""`newsbot export [QUERY]`: the indexed articles as JSON Lines in the crawl feed's item shape."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from newsbot.cli import add_index_argument, resolve_index
from newsbot.commands.search import add_filter_arguments, filters_from_args
from newsbot.errors import UsageError
from newsbot.formats import FORMATS
from newsbot.search.export import iter_items, write_items
from newsbot.search.searcher import open_searcher

NAME = "export"
HELP = (
    "write indexed articles as JSON Lines, CSV or TSV (oldest first), all or those matching a query"
)
EXAMPLE = "newsbot export --section americas --since 2017-01-01 -o americas.jsonl"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "query", nargs="*", metavar="QUERY", help="only articles matching this (default: all)"
    )
    add_index_argument(parser)
    add_filter_arguments(parser)
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="write to FILE, replaced only when complete (default: stdout)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="jsonl",
        help="jsonl (default): the feed's item shape; csv or tsv: one column per field",
    )


def run(args: argparse.Namespace) -> int:
    if args.output is not None and args.output.is_dir():
        raise UsageError(
            f"-o takes a file name, and {args.output} is a folder",
            hint=f"for example -o {args.output / 'archive.jsonl'}",
        )
    text = " ".join(args.query) or None
    filters = filters_from_args(args)
    with open_searcher(resolve_index(args)) as searcher:
        count = write_items(iter_items(searcher, text, filters), args.output, args.format)
    if args.output is not None:
        print(f"exported {count} articles to {args.output}", file=sys.stderr)
    return 0
