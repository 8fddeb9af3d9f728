"""`newsbot ingest WARC...`: build or update the archive from WARC files made elsewhere."""

from __future__ import annotations

import argparse
import glob
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from newsbot.cli import add_index_argument, resolve_index
from newsbot.errors import UsageError
from newsbot.sites import SECTIONS
from newsbot.terminal import Progress

if TYPE_CHECKING:
    from newsbot.warc.reader import CaptureReader

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
    from newsbot.urls import in_section, is_discoverable_article

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
    procs = max(1, min(args.procs, os.cpu_count() or 1))
    return run_captures("ingest", paths, wanted, index_dir, procs, args.verbose)


def run_captures(
    command: str,
    paths: list[Path],
    wanted: Callable[[str], bool],
    index_dir: Path,
    procs: int,
    verbose: bool,
    since: str = "",
) -> int:
    """Ingest (or, for `reextract`, re-extract) the captures of `paths` whose URL is `wanted`.

    With one process to read and parse, it starts before Scrapy and the parsers are imported
    (~0.5 s), and reads the files meanwhile (newsbot.warc.read_ahead)."""
    # The parsers (with Scrapy's HTTP classes) before the fork, so the read-ahead has them;
    # the rest of Scrapy, the pipelines and Whoosh load while it reads the files.
    from newsbot.warc.parse import parse_located  # noqa: F401
    from newsbot.warc.read_ahead import ReadAhead
    from newsbot.warc.reader import CaptureReader

    reextract = command == "reextract"

    def make_reader() -> CaptureReader:
        return CaptureReader(paths, wanted)

    ahead = ReadAhead(make_reader, reextract=reextract, since=since) if procs == 1 else None
    try:
        # Imported only now: Scrapy and the parsers take ~0.5 s to load, which every other
        # newsbot command would pay at start-up, and which the read-ahead overlaps.
        from newsbot.commands.reextract import report_run
        from newsbot.warc.ingest import run_ingest

        progress = Progress(total=0, label="re-extracting" if reextract else "ingesting")
        result = run_ingest(
            ahead or make_reader(),
            index_dir,
            procs=procs,
            reextract=reextract,
            since=since,
            log_level="INFO" if verbose else "ERROR",
            progress=progress,
        )
    finally:
        if ahead is not None:
            ahead.close()
    return report_run(command, result, index_dir, sys.stderr)


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
