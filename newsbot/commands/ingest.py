"""`newsbot ingest WARC...`: build or update the archive from WARC files made elsewhere."""

from __future__ import annotations

import argparse
import os
import sys

from newsbot.cli import add_index_argument, resolve_index
from newsbot.errors import UsageError
from newsbot.sites import SECTIONS
from newsbot.terminal import Progress

NAME = "ingest"
HELP = "add the articles of WARC files (.warc or .warc.gz, from any tool) to the archive"
EXAMPLE = "newsbot ingest 'crawls/*.warc.gz' --section americas --procs 2"


def add_procs_argument(parser: argparse.ArgumentParser) -> None:
    """`--procs N`, shared with `newsbot reextract`."""
    parser.add_argument(
        "--procs",
        type=int,
        default=default_procs(),
        metavar="N",
        help="processes that read and parse pages (default: the cores less two, at least 1)",
    )


def default_procs() -> int:
    """Parsing processes that do not take a core from the pipelines or the commit child: on
    2 cores, parsing in a second process made ingest 2-6% slower (bench/bench_ingest.py)."""
    return max(1, (os.cpu_count() or 1) - 2)


def add_log_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show Scrapy's log (drops, commits) too"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "warcs", nargs="+", metavar="WARC", help="WARC files or glob patterns (quote them)"
    )
    parser.add_argument(
        "--section",
        default="americas",
        metavar="NAME",
        help=f"keep articles of this section: {', '.join(SECTIONS)}, or all (default americas)",
    )
    add_index_argument(parser)
    add_procs_argument(parser)
    add_log_argument(parser)


def run(args: argparse.Namespace) -> int:
    # Imported here, not above: Scrapy and the parsers take ~0.3 s to load, which every other
    # newsbot command would pay at start-up.
    from newsbot.commands.reextract import report_run
    from newsbot.urls import in_section, is_discoverable_article
    from newsbot.warc.ingest import matching_paths, run_ingest
    from newsbot.warc.reader import CaptureReader

    if args.section != "all" and args.section not in SECTIONS:
        raise UsageError(
            f"unknown section {args.section!r}", hint=f"use one of {', '.join(SECTIONS)} or all"
        )
    paths = list(matching_paths(args.warcs))
    missing = [str(path) for path in paths if not path.is_file()]
    if missing or not paths:
        raise UsageError(
            f"no such WARC file: {', '.join(missing) or ' '.join(args.warcs)}",
            hint="give .warc or .warc.gz files, or a quoted glob such as 'crawls/*.warc.gz'",
        )
    section = SECTIONS.get(args.section)

    def wanted(url: str) -> bool:
        if not is_discoverable_article(url):
            return False
        return section is None or in_section(url, section.path)

    index_dir = resolve_index(args)
    progress = Progress(total=0, label="ingesting")
    result = run_ingest(
        CaptureReader(paths, wanted),
        index_dir,
        procs=max(1, min(args.procs, os.cpu_count() or 1)),
        log_level="INFO" if args.verbose else "ERROR",
        progress=progress,
    )
    return report_run("ingest", result, index_dir, sys.stderr)
